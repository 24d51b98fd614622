import { randomBytes } from 'node:crypto';
import { WRITE_MARKER, type EntryTags } from '../serializers/cache-entry.codec.js';
import type { CacheStore, WriteStamp } from '../store/cache.store.js';
import type { ReadThroughPolicy } from './read-through.policy.js';
import type { TagLedger } from './tag-ledger.js';

/** What a load takes before it runs, and hands back to {@link EntryWriter.commit}. */
export interface WriteTicket {
  readonly stamp: WriteStamp;
  /** The marker offered to an absent key (it holds the key only if the key was absent). */
  readonly marker: string;
  /** The tag versions to record; `undefined` for an untagged entry. */
  readonly tags: EntryTags | undefined;
}

/** How long a write marker holds an absent key at least: a load slower than this and than its entry's lifetime is not stored. */
const MIN_MARKER_MS = 10 * 60_000;

/**
 * Fenced writes of method results. Before a load runs, {@link begin} takes a stamp of the key (an
 * absent key first gets a unique write marker) and the versions of its tags; after, {@link commit}
 * stores the result only if the key still holds what was stamped. An eviction (the key deleted),
 * a `set()` or a newer load's write in between, in any process, changes the key, so a load that
 * started before it never writes its older value back; an invalidated tag makes the entry invalid
 * even when it is stored. Both halves are one round trip each (a Lua script over one key).
 */
export class EntryWriter {
  constructor(
    private readonly store: CacheStore,
    private readonly ledger: TagLedger,
  ) {}

  /**
   * Stamps `key` and reads its tags' versions for an entry living about `lifetimeMs`.
   * `tagKeys` / `versions`: the call's tag keys and, when read at lookup, their versions then.
   */
  async begin(
    key: string,
    policy: ReadThroughPolicy,
    tagKeys: readonly string[] | undefined,
    versions: readonly (string | null)[] | undefined,
  ): Promise<WriteTicket> {
    const lifetime = policy.ttlMs + policy.graceMs;
    const marker = `${WRITE_MARKER}${randomBytes(12).toString('base64url')}`;
    const stamping = this.store.prepareWrite(key, marker, Math.max(lifetime, MIN_MARKER_MS));
    let tags: EntryTags | undefined;
    if (tagKeys && tagKeys.length > 0) {
      tags = versions && this.ledger.recorded(tagKeys, versions);
      if (!tags) tags = await this.ledger.prepare(tagKeys, lifetime);
    }
    return { stamp: await stamping, marker, tags };
  }

  /** A load that stores nothing takes its marker back, so the key reads as absent again at once. */
  abandon(key: string, ticket: WriteTicket): Promise<boolean> {
    return this.store.deleteMarker(key, ticket.marker);
  }

  /**
   * Stores `encoded` for `lifetimeMs` if the key still holds what {@link begin} stamped, and keeps
   * its tag keys alive as long. Resolves whether it was stored; rejects on a store failure.
   */
  async commit(key: string, ticket: WriteTicket, encoded: Buffer | string, lifetimeMs: number): Promise<boolean> {
    const extended = ticket.tags ? this.ledger.extend(ticket.tags, lifetimeMs) : undefined;
    const [stored] = await Promise.all([this.store.setIfUnchanged(key, ticket.stamp, encoded, lifetimeMs), extended]);
    return stored;
  }
}
