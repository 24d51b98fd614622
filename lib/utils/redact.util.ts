const CREDENTIALS_IN_URL = /\b(rediss?:\/\/)([^@/\s]*)@/gi;
/** Any `user:password@` (also in malformed URLs such as `redis:/u:p@h` or `http://u:p@h`). */
const USERINFO_WITH_PASSWORD = /[^\s@/]*:[^\s@/]*@/g;

/**
 * Removes credentials from anything that may reach a log line: `redis://user:pass@host`
 * becomes `redis://***@host`. Error messages from node-redis can echo the URL.
 */
export function redact(text: string): string {
  return text.replace(CREDENTIALS_IN_URL, '$1***@').replace(USERINFO_WITH_PASSWORD, '***@');
}

/** A short, credential-free description of an unknown error, for log lines. */
export function describeError(error: unknown): string {
  if (error instanceof Error) return redact(`${error.name}: ${error.message}`);
  return redact(String(error));
}
