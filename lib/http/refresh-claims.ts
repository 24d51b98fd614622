/** Keys remembered at most; past it the oldest claim is dropped (that entry then refreshes at its expiry). */
const MAX_CLAIMS = 10_000;

/**
 * Refresh of a route entry (stale-while-revalidate, early refresh), on the next request.
 *
 * What a route stores is what a client was sent, after every guard, interceptor and serializer,
 * so a refresh must be a real request through that pipeline: a stale hit cannot also produce
 * the fresh response it does not send. When a hit is stale (or picked for early refresh), its
 * key is claimed here; the next request for that key in this process takes the claim and runs
 * the route as a revalidating miss, storing what it sends, while every other request keeps
 * being answered from the entry. Only one request per claim pays the handler's time.
 */
export class RefreshClaims {
  private readonly claims = new Set<string>();

  /** Marks `key` for refresh by its next request; resolves `undefined` (nothing to store now). */
  request(key: string): Promise<undefined> {
    if (this.claims.size >= MAX_CLAIMS) this.claims.delete(this.claims.values().next().value!);
    this.claims.add(key);
    return Promise.resolve(undefined);
  }

  /** Whether this request is the one to refresh `key` (the claim is taken: one request per claim). */
  take(key: string): boolean {
    return this.claims.size > 0 && this.claims.delete(key);
  }
}
