import { randomBytes } from 'node:crypto';
import { CacheKeyBuilder } from '../keys/cache-key.builder.js';
import type { EntryTags } from '../serializers/cache-entry.codec.js';
import type { CacheStore } from '../store/cache.store.js';

/**
 * Tags as lazy invalidation by version. Each tag has one small key holding a random version.
 * An entry records, in its envelope, the versions its tags had before its value was produced; it
 * is valid only while every one of those keys still holds that version. Invalidating a tag deletes
 * its key: every entry that recorded any version of it, stored before the call or still being
 * produced, is invalid from then on, and the next miss gives the tag a fresh random version.
 *
 * Costs: invalidation is one UNLINK of the tag keys, whatever the number of entries; a hit on a
 * tagged entry adds one MGET, sent with its GET; a tag key lives as long as the longest-lived entry
 * that carries it (each write lengthens it, `PEXPIRE GT`), so bookkeeping is bounded by the live
 * entries. No clock is compared, so skew between processes cannot revive an entry. In a cluster
 * every tag key shares one hash slot (`{<prefix>:__tags__}`), so the MGET and UNLINK are single-slot.
 */
export class TagLedger {
  private readonly keys: CacheKeyBuilder;
  private readonly namespace: string;

  constructor(
    private readonly store: CacheStore,
    prefix: string,
  ) {
    this.keys = new CacheKeyBuilder(prefix);
    // Only the text between the first braces decides the slot; the prefix before it is the same for all tags.
    this.namespace = `{${prefix}:__tags__}`;
  }

  /** The key of each tag. */
  keysOf(tags: readonly string[]): string[] {
    return tags.map((tag) => this.keys.build(this.namespace, tag));
  }

  /** The versions the tag keys hold now (`null`: absent). */
  current(tagKeys: readonly string[]): Promise<(string | null)[]> {
    return this.store.getTagVersions(tagKeys);
  }

  /**
   * The versions to record for an entry about to be produced, living `lifetimeMs`: gives absent
   * tags a fresh version first. Read before the value is produced, so an invalidation while it
   * is produced makes the stored entry invalid.
   */
  async prepare(tagKeys: readonly string[], lifetimeMs: number): Promise<EntryTags> {
    const fresh = tagKeys.map(() => randomBytes(12).toString('base64url'));
    const versions = await this.store.prepareTags(tagKeys, fresh, lifetimeMs);
    return tagKeys.map((key, i) => [key, versions[i]] as const);
  }

  /** Records `versions` (read at lookup) as an entry's tags when every tag had one; else `undefined`. */
  recorded(tagKeys: readonly string[], versions: readonly (string | null)[]): EntryTags | undefined {
    if (versions.some((version) => version === null)) return undefined;
    return tagKeys.map((key, i) => [key, versions[i]] as const);
  }

  /** Keeps the entry's tag keys alive at least as long as the entry. */
  extend(tags: EntryTags, lifetimeMs: number): Promise<void> {
    return this.store.extendTags(
      tags.map(([key]) => key),
      lifetimeMs,
    );
  }

  /**
   * Whether an entry's tags still hold the versions it recorded. `expected` are the tag keys the
   * caller computed for this call, with `versions` already read for them (sent with the GET);
   * an entry recorded under other tags (the method's tags changed) is not valid for this call.
   */
  async isValid(
    tags: EntryTags | undefined,
    expected?: readonly string[],
    versions?: readonly (string | null)[],
  ): Promise<boolean> {
    if (!expected || expected.length === 0) {
      if (!tags) return true;
      // A reader that does not know the tags (get(), another process's entry under the lock): read them.
      const current = await this.current(tags.map(([key]) => key));
      return tags.every(([, version], i) => version !== null && current[i] === version);
    }
    return versions !== undefined && this.holds(tags, expected, versions);
  }

  /** {@link isValid} when the call's tag versions were read already: no I/O, so no promise on the hit path. */
  holds(tags: EntryTags | undefined, expected: readonly string[], versions: readonly (string | null)[]): boolean {
    if (!tags || tags.length !== expected.length) return false;
    for (let i = 0; i < tags.length; i++) {
      const [key, version] = tags[i];
      if (key !== expected[i] || version === null || versions[i] !== version) return false;
    }
    return true;
  }

  /** Invalidates every entry carrying one of `tags`: one UNLINK. Resolves how many tags had a version. */
  invalidate(tags: readonly string[]): Promise<number> {
    return this.store.deleteTags(this.keysOf(tags));
  }
}
