import { Logger } from '@nestjs/common';
import { LOGGER_CONTEXT } from '../redis-cache.constants.js';
import type { DecodeResult } from '../serializers/cache-entry.codec.js';
import { describeError } from '../utils/redact.util.js';
import { ThrottledLogger } from '../utils/throttled-logger.util.js';
import type { ReadThroughStats } from './read-through.types.js';

/**
 * The counters and throttled warnings of one executor, shared by its reading and writing halves,
 * so that every store failure and refused entry is counted and logged the same way.
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
  ) {}

  /** A store read or write failed (counted; one throttled warning per kind). */
  storeError(operation: 'read' | 'write', label: string, error: unknown): void {
    this.counters.storeErrors++;
    const outcome = operation === 'read' && this.failOpen ? '; running uncached' : '';
    this.warnings.warn(
      `store-${operation}`,
      `${label}: cache ${operation} failed on the ${this.storeKind} store${outcome}: ${describeError(error)}`,
    );
  }

  /** Stored bytes were refused (foreign, corrupt, other serializer...): read as a miss and overwritten. */
  rejected(key: string, label: string, decoded: DecodeResult & { ok: false }): void {
    this.counters.rejectedEntries++;
    const cause = decoded.cause === undefined ? '' : ` (${describeError(decoded.cause)})`;
    this.warnings.warn(
      `rejected:${decoded.reason}`,
      `${label}: ignored the stored entry at "${key}" (${decoded.reason})${cause}; treating it as a miss and overwriting it`,
    );
  }
}
