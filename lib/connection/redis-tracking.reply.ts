/** The `flags` of a CLIENT TRACKINGINFO reply: a RESP3 map (a Map or an object) or a RESP2 flat list. */
export function trackingFlags(reply: unknown): string[] {
  let flags: unknown;
  if (reply instanceof Map) flags = [...reply].find(([k]) => String(k) === 'flags')?.[1];
  else if (Array.isArray(reply)) flags = reply[reply.findIndex((item) => String(item) === 'flags') + 1];
  else if (typeof reply === 'object' && reply !== null) flags = (reply as Record<string, unknown>).flags;
  return Array.isArray(flags) ? flags.map(String) : [];
}
