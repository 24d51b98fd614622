import type { OutgoingHttpHeaders, ServerResponse } from 'node:http';

/** What a response sent, as the client received it. */
export interface SentResponse {
  readonly status: number;
  /** Final headers, lower-case names. */
  readonly headers: ReadonlyMap<string, string | string[]>;
  readonly body: Buffer;
  /** Written in several chunks (a stream) or larger than the bound: never stored. */
  readonly partial: boolean;
}

/** Hooks of {@link captureSent}. */
export interface CaptureHooks {
  /** Largest body kept; a larger one is sent, not kept (`partial`). */
  readonly maxBytes: number;
  /**
   * Called right before the head goes out, with the whole body when it is known (one `end`):
   * headers to add (they win over the platform's), and a status to send instead (a 304 for a
   * matching `If-None-Match`; its body is then left out).
   */
  beforeHead?(
    status: number,
    body: Buffer | undefined,
  ): { headers?: Record<string, string>; status?: number } | undefined;
}

type WriteHead = ServerResponse['writeHead'];
type HeadArgs = [status: number, reasonOrHeaders?: unknown, headers?: unknown];

/**
 * Records what `res` sends (status, headers, body bytes) by wrapping its `writeHead`, `write`
 * and `end` for this one response. This is the last stop of both platforms: Express' `send`
 * and Fastify's `onSend`-hooked reply end here, after every interceptor, serializer and late
 * header (`Set-Cookie` written at `writeHead` by express-session, Fastify `onSend` hooks).
 * Resolves once the response ended, or `undefined` when the connection closed before. When
 * `beforeHead` turned the response into a 304, the full response is what is recorded.
 */
export function captureSent(res: ServerResponse, hooks: CaptureHooks): Promise<SentResponse | undefined> {
  return new Promise((resolve) => {
    const original = { writeHead: res.writeHead, write: res.write, end: res.end };
    const chunks: Buffer[] = [];
    let size = 0;
    let partial = false;
    let pendingHead: HeadArgs | undefined;
    let sentStatus = 0;
    let argHeaders: OutgoingHttpHeaders | undefined;
    let removedType: string | undefined;
    const keep = (chunk: unknown, encoding?: unknown): void => {
      if (chunk === undefined || chunk === null || typeof chunk === 'function') return;
      const bytes = Buffer.isBuffer(chunk)
        ? chunk
        : typeof chunk === 'string'
          ? Buffer.from(chunk, encodingOf(encoding))
          : Buffer.from(chunk as Uint8Array);
      size += bytes.length;
      if (size > hooks.maxBytes) partial = true;
      else chunks.push(bytes);
    };
    const flushHead = (body: Buffer | undefined): number => {
      const args: HeadArgs = pendingHead ?? [res.statusCode];
      pendingHead = undefined;
      const headersArg = (typeof args[1] === 'object' && args[1] !== null ? args[1] : args[2]) as
        OutgoingHttpHeaders | undefined;
      argHeaders = headersArg;
      const change = hooks.beforeHead?.(args[0], body);
      let status = args[0];
      if (change?.status !== undefined) {
        status = change.status;
        // The 304 goes out without them; the recorded response keeps its Content-Type.
        const type = res.getHeader('content-type') ?? (headersArg && headerOf(headersArg, 'content-type'));
        if (type !== undefined) removedType = String(type);
        for (const name of ['content-length', 'content-type', 'transfer-encoding']) {
          res.removeHeader(name);
          if (headersArg) deleteHeader(headersArg, name);
        }
      }
      for (const [name, value] of Object.entries(change?.headers ?? {})) {
        res.setHeader(name, value);
        if (headersArg) setHeader(headersArg, name, value);
      }
      // What is recorded is the response the platform meant to send, not the 304 stand-in.
      sentStatus = args[0];
      (original.writeHead as (...a: unknown[]) => unknown).call(res, status, ...(headersArg ? [headersArg] : []));
      return status;
    };
    res.writeHead = function writeHead(this: ServerResponse, ...args: unknown[]) {
      // Held back until the body is known (Fastify writes the head just before `end`).
      pendingHead = args as HeadArgs;
      return this;
    } as WriteHead;
    res.write = function write(this: ServerResponse, chunk: unknown, ...rest: unknown[]): boolean {
      partial = true;
      if (!res.headersSent) flushHead(undefined);
      keep(chunk, rest[0]);
      return (original.write as (...a: unknown[]) => boolean).call(this, chunk, ...rest);
    } as ServerResponse['write'];
    res.end = function end(this: ServerResponse, chunk?: unknown, ...rest: unknown[]) {
      keep(chunk, rest[0]);
      let args = [chunk, ...rest];
      if (!res.headersSent) {
        const status = flushHead(partial ? undefined : Buffer.concat(chunks));
        // A 304 (or 204) has no body; the full one is still what is recorded.
        if (status === 304 || status === 204) args = args.filter((a) => typeof a === 'function');
      }
      const result = (original.end as (...a: unknown[]) => unknown).apply(this, args);
      const headers = finalHeaders(res, argHeaders);
      if (removedType !== undefined) headers.set('content-type', removedType);
      resolve({ status: sentStatus || res.statusCode, headers, body: Buffer.concat(chunks), partial });
      return result;
    } as ServerResponse['end'];
    res.once('close', () => {
      if (!res.writableEnded) resolve(undefined);
    });
  });
}

/** The headers that went out: the response's own plus those handed to `writeHead`. */
function finalHeaders(res: ServerResponse, fromArgs: OutgoingHttpHeaders | undefined): Map<string, string | string[]> {
  const headers = new Map<string, string | string[]>();
  const add = (name: string, value: unknown): void => {
    if (value === undefined) return;
    headers.set(name.toLowerCase(), Array.isArray(value) ? value.map(String) : String(value));
  };
  for (const [name, value] of Object.entries(res.getHeaders())) add(name, value);
  if (fromArgs) for (const [name, value] of Object.entries(fromArgs)) add(name, value);
  return headers;
}

function setHeader(headers: OutgoingHttpHeaders, name: string, value: string): void {
  deleteHeader(headers, name);
  headers[name] = value;
}

function headerOf(headers: OutgoingHttpHeaders, name: string): unknown {
  const key = Object.keys(headers).find((k) => k.toLowerCase() === name);
  return key === undefined ? undefined : headers[key];
}

function deleteHeader(headers: OutgoingHttpHeaders, name: string): void {
  for (const key of Object.keys(headers)) if (key.toLowerCase() === name) delete headers[key];
}

function encodingOf(encoding: unknown): BufferEncoding {
  return typeof encoding === 'string' && Buffer.isEncoding(encoding) ? encoding : 'utf8';
}
