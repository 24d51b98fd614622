/**
 * Decides whether a request carries a credential, from the configured header and query
 * parameter names (`http.credentialHeaders`, `http.credentialQueryParams`). Built once per
 * application: the hit path pays a header lookup per name and, only for URLs with a query, one
 * regular expression test.
 */
export class RequestCredentials {
  private readonly headers: readonly string[];
  private readonly params: ReadonlySet<string>;
  private readonly quickParam: RegExp | undefined;

  constructor(headers: readonly string[], params: readonly string[]) {
    this.headers = headers;
    this.params = new Set(params);
    const names = params.map((name) => name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
    this.quickParam = names.length > 0 ? new RegExp(`[?&](?:${names.join('|')})(?:[=&]|$)`, 'i') : undefined;
  }

  /** Whether the request is a principal's: a guard set `req.user` (whatever carried the credential), or it carries one. */
  perPrincipal(request: { user?: unknown; headers: Readonly<Record<string, unknown>> }, url: string): boolean {
    return request.user != null || this.carried(request.headers, url);
  }

  /** Whether any credential header is present, or any credential query parameter (names compared decoded, case-insensitively). */
  carried(headers: Readonly<Record<string, unknown>>, url: string): boolean {
    for (const name of this.headers) if (headers[name] !== undefined) return true;
    const queryAt = url.indexOf('?');
    if (queryAt === -1 || !this.quickParam) return false;
    if (this.quickParam.test(url)) return true;
    // A percent-encoded name (`%61ccess_token`) reaches the handler decoded: decode to compare.
    if (!url.includes('%', queryAt) && !url.includes('+', queryAt)) return false;
    for (const part of url.slice(queryAt + 1).split('&')) {
      const at = part.indexOf('=');
      if (this.params.has(safeDecode(at === -1 ? part : part.slice(0, at)).toLowerCase())) return true;
    }
    return false;
  }
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text.replace(/\+/g, ' '));
  } catch {
    return text;
  }
}
