/**
 * Stand-ins for the stampede lock unit tests: two `StampedeLock`s on one memory store stand for
 * two processes on one Redis; one holds the lock and runs the work, the other waits for the
 * value it stores.
 */
import { jest } from '@jest/globals';
import type { Logger } from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import { StampedeLock, type LockedLoad } from '../../../lib/read-through/stampede.lock.js';
import type { LockReleaseWatch } from '../../../lib/store/cache.store.js';
import { MemoryCacheStore } from '../../../lib/store/memory-cache.store.js';
import { ThrottledLogger } from '../../../lib/utils/throttled-logger.util.js';

export const CHANNEL = 'test:__lock__';
export const LOCK_KEY = 'test:__lock__:k';
export const VALUE_KEY = 'test:k';
export const bounds = { maxEntries: 100, maxBytes: 1 << 20 };

/** A store whose release announcements never arrive (a subscriber that is down or lost messages). */
export class SilentStore extends MemoryCacheStore {
  constructor(private readonly watchLive: boolean) {
    super(bounds);
  }
  override async announceLockRelease(): Promise<void> {}
  override watchLockReleases(): LockReleaseWatch {
    return { live: this.watchLive };
  }
}

/** One stand-in process: its lock, its warnings, and what it did. */
export interface Process {
  lock: StampedeLock;
  warn: jest.Mock<(message: string) => void>;
  runs: number;
  reads: number;
  waits: number;
  storeErrors: unknown[];
}

/** A process on `store` (two on one store stand for two processes on one Redis). */
export function processOn(store: MemoryCacheStore): Process {
  const warn = jest.fn<(message: string) => void>();
  const lock = new StampedeLock(store, CHANNEL, new ThrottledLogger({ warn } as unknown as Logger));
  return { lock, warn, runs: 0, reads: 0, waits: 0, storeErrors: [] };
}

/** A load whose work takes `workMs`, then stores `value` and records when it landed. */
export function load(
  store: MemoryCacheStore,
  proc: Process,
  value: string,
  workMs: number,
  landed: { at?: number } = {},
): LockedLoad<string> {
  return {
    label: 'Test.load',
    work: async () => {
      proc.runs++;
      await sleep(workMs);
      await store.set(VALUE_KEY, value, 60_000);
      landed.at = Date.now();
      return value;
    },
    reuse: async () => {
      proc.reads++;
      return (await store.getText(VALUE_KEY)) ?? undefined;
    },
    storeError: (_operation, error) => proc.storeErrors.push(error),
    waiting: () => proc.waits++,
  };
}

/** Captures the owner token of every lock taken on `store`. */
export function captureTokens(store: MemoryCacheStore): string[] {
  const tokens: string[] = [];
  const acquire = store.acquireLock.bind(store);
  jest.spyOn(store, 'acquireLock').mockImplementation(async (key, token, ttlMs) => {
    tokens.push(token);
    return acquire(key, token, ttlMs);
  });
  return tokens;
}
