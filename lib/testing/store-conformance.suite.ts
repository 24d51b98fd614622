import { randomBytes } from 'node:crypto';
import type { CacheStore } from '../store/cache.store.js';
import { COORDINATION_CASES } from './store-conformance.coordination.js';
import { ENTRY_CASES } from './store-conformance.entries.js';
import type { StoreConformanceCase, StoreConformanceContext } from './store-conformance.types.js';
import { WRITE_CASES } from './store-conformance.writes.js';

export type { StoreConformanceCase, StoreConformanceContext } from './store-conformance.types.js';

/**
 * Every check of the {@link CacheStore} contract, framework-agnostic: entries (bytes, UTF-8,
 * TTLs, deletion, literal prefix sweeps), fenced writes, tags, locks and lock release
 * announcements. A few cases sleep real time past short TTLs (at most about a second each).
 */
export const STORE_CONFORMANCE_CASES: readonly StoreConformanceCase[] = [
  ...ENTRY_CASES,
  ...WRITE_CASES,
  ...COORDINATION_CASES,
];

/** A store to check, and how to let it go. */
export interface ConformingStore {
  readonly store: CacheStore;
  close(): Promise<void>;
}

/** The test functions {@link describeCacheStoreConformance} registers with; Jest's, Vitest's and Mocha's fit. */
export interface ConformanceTestFramework {
  describe(name: string, body: () => void): unknown;
  it(name: string, body: () => Promise<void>, timeoutMs?: number): unknown;
  beforeAll(body: () => Promise<void>, timeoutMs?: number): unknown;
  afterAll(body: () => Promise<void>, timeoutMs?: number): unknown;
}

/** Options of {@link describeCacheStoreConformance}. */
export interface StoreConformanceOptions {
  /** Start of every key the cases write; each run and case adds its own part. @default 'conformance' */
  keyPrefix?: string;
  /** The test functions. @default the globals `describe`, `it`, `beforeAll` (Mocha: `before`), `afterAll` (`after`) */
  framework?: ConformanceTestFramework;
  /** Timeout of each case. @default 20000 */
  timeoutMs?: number;
}

/**
 * Registers one test per {@link STORE_CONFORMANCE_CASES} check in a `describe` block: `makeStore`
 * runs once before them, `close` once after. Run it for your own store in your test suite.
 *
 * @example
 * describeCacheStoreConformance('MyStore', async () => {
 *   const store = await MyStore.connect(process.env.MY_STORE_URL);
 *   return { store, close: () => store.disconnect() };
 * });
 */
export function describeCacheStoreConformance(
  name: string,
  makeStore: () => Promise<ConformingStore>,
  options: StoreConformanceOptions = {},
): void {
  const framework = options.framework ?? globalFramework();
  const timeoutMs = options.timeoutMs ?? 20_000;
  let made: ConformingStore | undefined;
  const run = `${options.keyPrefix ?? 'conformance'}:${randomBytes(4).toString('hex')}`;
  framework.describe(`${name} keeps the CacheStore contract`, () => {
    framework.beforeAll(async () => {
      made = await makeStore();
    }, timeoutMs);
    framework.afterAll(async () => {
      await made?.close();
    }, timeoutMs);
    STORE_CONFORMANCE_CASES.forEach((check, index) => {
      framework.it(
        check.name,
        async () => {
          if (!made) throw new Error('makeStore() did not give a store');
          await check.run(contextOf(made.store, `${run}:${index}`));
        },
        timeoutMs,
      );
    });
  });
}

/**
 * Runs every {@link STORE_CONFORMANCE_CASES} check one after another and rejects with one
 * `AggregateError` listing the failures. For use outside a test runner.
 *
 * @example await assertCacheStoreConformance(new MyStore(client));
 */
export async function assertCacheStoreConformance(store: CacheStore, keyPrefix = 'conformance'): Promise<void> {
  const run = `${keyPrefix}:${randomBytes(4).toString('hex')}`;
  const failures: Error[] = [];
  for (const [index, check] of STORE_CONFORMANCE_CASES.entries()) {
    try {
      await check.run(contextOf(store, `${run}:${index}`));
    } catch (error) {
      failures.push(new Error(`${check.name}: ${error instanceof Error ? error.message : String(error)}`));
    }
  }
  if (failures.length > 0) {
    throw new AggregateError(failures, `${store.kind} failed ${failures.length} store conformance check(s)`);
  }
}

function contextOf(store: CacheStore, prefix: string): StoreConformanceContext {
  return {
    store,
    key: (name) => `${prefix}:${name}`,
    // The braces make one Redis Cluster hash tag of the case's prefix, like `{<prefix>:__tags__}`.
    tagKey: (name) => `{${prefix}:tags}:${name}`,
    channel: (name) => `${prefix}:channel:${name}`,
  };
}

function globalFramework(): ConformanceTestFramework {
  const globals = globalThis as Record<string, unknown>;
  const pick = (...names: string[]) => names.map((n) => globals[n]).find((f) => typeof f === 'function');
  const framework = {
    describe: pick('describe'),
    it: pick('it', 'test'),
    beforeAll: pick('beforeAll', 'before'),
    afterAll: pick('afterAll', 'after'),
  };
  const missing = Object.entries(framework).filter(([, f]) => f === undefined);
  if (missing.length > 0) {
    throw new Error(
      `describeCacheStoreConformance() found no global ${missing.map(([n]) => n).join(', ')}: run it inside a test runner, or pass options.framework`,
    );
  }
  return framework as unknown as ConformanceTestFramework;
}
