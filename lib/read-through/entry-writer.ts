import { randomBytes } from 'node:crypto';
import { RedisCacheError } from '../errors/redis-cache.error.js';
import { describeError } from '../utils/redact.util.js';
import type { ReadThroughDiagnostics } from './read-through.diagnostics.js';
import { WRITE_MARKER, type EntryTags } from '../serializers/cache-entry.codec.js';
import type { CacheStore, WriteStamp } from '../store/cache.store.js';
import type { ReadThroughPolicy } from './read-through.policy.js';
import type { TagLedger } from './tag-ledger.js';
import { SYSTEM_CLOCK, type CacheClock } from '../clock/cache.clock.js';
import type { CacheStoreEvent } from '../events/cache-event.types.js';

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
    private readonly cacheStore: CacheStore,
    private readonly ledger: TagLedger,
    private readonly diagnostics: ReadThroughDiagnostics,
    private readonly clock: CacheClock = SYSTEM_CLOCK,
  ) {}

  /**
   * Stamps `key` and reads its tags' versions, before the method runs. `tagKeys` / `versions`:
   * the call's tag keys and, when read at lookup, their versions then. Resolves `undefined` when
   * the store failed (logged): there is nothing to store safely through, the method runs uncached.
   */
  async begin(
    key: string,
    policy: ReadThroughPolicy,
    tagKeys: readonly string[] | undefined,
    versions: readonly (string | null)[] | undefined,
  ): Promise<WriteTicket | undefined> {
    try {
      return await this.stamp(key, policy, tagKeys, versions);
    } catch (error) {
      this.diagnostics.storeError('write', policy.label, error, policy.namespace);
      return undefined;
    }
  }

  /**
   * Encodes and stores a result through the fence. Never rejects: an encode failure
   * (unserializable, over `maxValueBytes`) or a store failure is logged and counted, since the
   * caller already has its value. A key evicted or rewritten meanwhile is left as it is.
   */
  async store(
    key: string,
    ticket: WriteTicket,
    value: unknown,
    policy: ReadThroughPolicy,
    freshMs: number,
    loadMs: number,
  ): Promise<void> {
    const { counters, warnings } = this.diagnostics;
    try {
      const now = this.clock.now();
      const encoded = policy.codec.encode(value, now, now + freshMs, loadMs, ticket.tags);
      if (!(await this.commit(key, ticket, encoded, freshMs + policy.graceMs))) counters.supersededWrites++;
      else if (this.diagnostics.events.listening) this.diagnostics.events.emit(storeEvent(policy, encoded));
    } catch (error) {
      if (error instanceof RedisCacheError && error.code === 'E_REDIS_CACHE_SERIALIZATION') {
        counters.skippedWrites++;
        warnings.warn(`encode:${policy.label}`, `${policy.label}: result not cached: ${describeError(error)}`);
        await this.abandon(key, ticket, policy);
      } else {
        this.diagnostics.storeError('write', policy.label, error, policy.namespace);
      }
    }
  }

  /** A load that stores nothing takes its marker back, so the key reads as absent again at once. Never rejects. */
  async abandon(key: string, ticket: WriteTicket, policy: ReadThroughPolicy): Promise<void> {
    try {
      await this.cacheStore.deleteMarker(key, ticket.marker);
    } catch (error) {
      // The marker expires on its own; until then the key reads as a miss.
      this.diagnostics.storeError('write', policy.label, error, policy.namespace);
    }
  }

  private async stamp(
    key: string,
    policy: ReadThroughPolicy,
    tagKeys: readonly string[] | undefined,
    versions: readonly (string | null)[] | undefined,
  ): Promise<WriteTicket> {
    const lifetime = policy.ttlMs + policy.graceMs;
    const marker = `${WRITE_MARKER}${randomBytes(12).toString('base64url')}`;
    const stamping = this.cacheStore.prepareWrite(key, marker, Math.max(lifetime, MIN_MARKER_MS));
    let tags: EntryTags | undefined;
    if (tagKeys && tagKeys.length > 0) {
      tags = versions && this.ledger.recorded(tagKeys, versions);
      if (!tags) tags = await this.ledger.prepare(tagKeys, lifetime);
    }
    return { stamp: await stamping, marker, tags };
  }

  /** Stores `encoded` if the key still holds what was stamped, and keeps its tag keys alive as long. */
  private async commit(
    key: string,
    ticket: WriteTicket,
    encoded: Buffer | string,
    lifetimeMs: number,
  ): Promise<boolean> {
    const extended = ticket.tags ? this.ledger.extend(ticket.tags, lifetimeMs) : undefined;
    const [stored] = await Promise.all([
      this.cacheStore.setIfUnchanged(key, ticket.stamp, encoded, lifetimeMs),
      extended,
    ]);
    return stored;
  }
}

/** A `store` event: where, and how many bytes (never what). */
export function storeEvent(policy: ReadThroughPolicy, encoded: Buffer | string): CacheStoreEvent {
  const bytes = typeof encoded === 'string' ? Buffer.byteLength(encoded) : encoded.length;
  return { type: 'store', namespace: policy.namespace, label: policy.label, bytes };
}
