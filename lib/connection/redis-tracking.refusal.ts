import { ErrorReply } from 'redis';

/**
 * The server's refusal, in a connection handshake, of what the L1 needs: `HELLO 3` (a RESP2-only
 * server or proxy) or `CLIENT TRACKING` (an ACL without `client|tracking`, a server or proxy
 * without it). `undefined` for any other error: an unreachable server is retried, not refused.
 */
export function trackingRefusal(error: unknown): string | undefined {
  if (!(error instanceof ErrorReply)) return undefined;
  return /\b(tracking|hello)\b/i.test(error.message) ? error.message : undefined;
}
