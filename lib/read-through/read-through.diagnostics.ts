import { Logger } from '@nestjs/common';
import { LOGGER_CONTEXT } from '../redis-cache.constants.js';
import type { DecodeResult } from '../serializers/cache-entry.codec.js';
import { namespaceOfKey, type CacheEventsHub } from '../events/cache-events.hub.js';
import { describeError } from '../utils/redact.util.js';
import { ThrottledLogger } from '../utils/throttled-logger.util.js';
import type { ReadThroughStats } from './read-through.types.js';

/**
 * The counters, throttled warnings and events of one executor, shared by its reading and writing
 * halves, so that every store failure and refused entry is counted, logged and reported the same way.
 */
export class ReadThroughDiagnostics {
  readonly warnings = new ThrottledLogger(new Logger(LOGGER_CONTEXT));
  readonly counters: ReadThroughStats = {
    hits: 0,
    misses: 0,
    loads: 0,
    rejectedEntries: 0,
    storeErrors: 0,
    skippedWrites: 0,
    supersededWrites: 0,
    staleHits: 0,
    refreshes: 0,
    refreshFailures: 0,
    lockWaits: 0,
  };

  constructor(
    private readonly storeKind: string,
    private readonly failOpen: boolean,
    /** Where the executor's halves report events (`RedisCacheService.events$`). */
    readonly events: CacheEventsHub,
    /** The module prefix, to tell the namespace of a full key. */
    private readonly prefix: string,
  ) {}

  /** A store read or write failed (counted; one throttled warning per kind). */
  storeError(operation: 'read' | 'write', label: string, error: unknown, namespace = ''): void {
    this.counters.storeErrors++;
    if (this.events.listening) {
      this.events.emit({ type: 'store-error', namespace, label, operation, errorName: errorName(error) });
    }
    const outcome = operation === 'read' && this.failOpen ? '; running uncached' : '';
    this.warnings.warn(
      `store-${operation}`,
      `${label}: cache ${operation} failed on the ${this.storeKind} store${outcome}: ${describeError(error)}`,
    );
  }

  /** Stored bytes were refused (foreign, corrupt, other serializer...): read as a miss and overwritten. */
  rejected(key: string, label: string, decoded: DecodeResult & { ok: false }): void {
    this.counters.rejectedEntries++;
    if (this.events.listening) {
      const namespace = namespaceOfKey(this.prefix, key);
      this.events.emit({ type: 'refused-entry', namespace, label, reason: decoded.reason });
    }
    const cause = decoded.cause === undefined ? '' : ` (${describeError(decoded.cause)})`;
    this.warnings.warn(
      `rejected:${decoded.reason}`,
      `${label}: ignored the stored entry at "${key}" (${decoded.reason})${cause}; treating it as a miss and overwriting it`,
    );
  }
}

/** The class name of an error, for events: its message may echo keys, values or a URL. */
export function errorName(error: unknown): string {
  return error instanceof Error ? error.name : typeof error;
}
