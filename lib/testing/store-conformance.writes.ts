import { equal, ok } from 'node:assert/strict';
import { WRITE_MARKER } from '../serializers/cache-entry.codec.js';
import { LONG_TTL_MS, pause, SHORT_TTL_MS, type StoreConformanceCase } from './store-conformance.types.js';

// Markers as the library writes them (a store must treat them as any other string).
const MARKER = `${WRITE_MARKER}conformance-1`;
const OTHER_MARKER = `${WRITE_MARKER}conformance-2`;

/**
 * Fenced writes: `prepareWrite` stamps a key before a load runs, `setIfUnchanged` stores only
 * if nothing happened to the key since, `deleteMarker` takes back exactly one's own marker.
 * This is what keeps a load from writing back a value older than an eviction.
 */
export const WRITE_CASES: readonly StoreConformanceCase[] = [
  {
    name: 'prepareWrite gives an absent key the marker for its ttl, and setIfUnchanged then stores',
    run: async ({ store, key }) => {
      const stamp = await store.prepareWrite(key('k'), MARKER, 20_000);
      equal(await store.getText(key('k')), MARKER);
      const markerTtl = await store.ttl(key('k'));
      ok(markerTtl !== undefined && markerTtl > 10_000 && markerTtl <= 20_000, `marker ttl() was ${markerTtl}`);
      equal(await store.setIfUnchanged(key('k'), stamp, 'value', 5_000), true);
      equal(await store.getText(key('k')), 'value');
      const ttl = await store.ttl(key('k'));
      ok(ttl !== undefined && ttl <= 5_000, `ttl() after setIfUnchanged was ${ttl}, set with 5 s`);
    },
  },
  {
    name: 'prepareWrite leaves a present key as it is, and setIfUnchanged replaces it while unchanged',
    run: async ({ store, key }) => {
      await store.set(key('k'), 'old', LONG_TTL_MS);
      const stamp = await store.prepareWrite(key('k'), MARKER, LONG_TTL_MS);
      equal(await store.getText(key('k')), 'old');
      equal(await store.setIfUnchanged(key('k'), stamp, Buffer.from('new'), LONG_TTL_MS), true);
      equal(await store.getText(key('k')), 'new');
    },
  },
  {
    name: 'setIfUnchanged refuses after the key was deleted (an eviction wins), and does not recreate it',
    run: async ({ store, key }) => {
      const stamp = await store.prepareWrite(key('k'), MARKER, LONG_TTL_MS);
      await store.delete(key('k'));
      equal(await store.setIfUnchanged(key('k'), stamp, 'late', LONG_TTL_MS), false);
      equal(await store.get(key('k')), null);
    },
  },
  {
    name: 'setIfUnchanged refuses after a newer set (a newer write wins)',
    run: async ({ store, key }) => {
      await store.set(key('present'), 'v1', LONG_TTL_MS);
      const onPresent = await store.prepareWrite(key('present'), MARKER, LONG_TTL_MS);
      const onAbsent = await store.prepareWrite(key('absent'), MARKER, LONG_TTL_MS);
      await store.set(key('present'), 'v2', LONG_TTL_MS);
      await store.set(key('absent'), 'newer', LONG_TTL_MS);
      equal(await store.setIfUnchanged(key('present'), onPresent, 'late', LONG_TTL_MS), false);
      equal(await store.setIfUnchanged(key('absent'), onAbsent, 'late', LONG_TTL_MS), false);
      equal(await store.getText(key('present')), 'v2');
      equal(await store.getText(key('absent')), 'newer');
    },
  },
  {
    name: 'a stamp stores once: a second setIfUnchanged with it is refused',
    run: async ({ store, key }) => {
      const stamp = await store.prepareWrite(key('k'), MARKER, LONG_TTL_MS);
      equal(await store.setIfUnchanged(key('k'), stamp, 'first', LONG_TTL_MS), true);
      equal(await store.setIfUnchanged(key('k'), stamp, 'second', LONG_TTL_MS), false);
      equal(await store.getText(key('k')), 'first');
    },
  },
  {
    name: 'setIfUnchanged refuses once the marker expired',
    run: async ({ store, key }) => {
      const stamp = await store.prepareWrite(key('k'), MARKER, SHORT_TTL_MS);
      await pause(SHORT_TTL_MS * 3);
      equal(await store.setIfUnchanged(key('k'), stamp, 'late', LONG_TTL_MS), false);
      equal(await store.get(key('k')), null);
    },
  },
  {
    name: 'concurrent prepareWrite calls on an absent key place one marker, and only one of them stores',
    run: async ({ store, key }) => {
      const [first, second] = await Promise.all([
        store.prepareWrite(key('k'), MARKER, LONG_TTL_MS),
        store.prepareWrite(key('k'), OTHER_MARKER, LONG_TTL_MS),
      ]);
      const held = await store.getText(key('k'));
      ok(held === MARKER || held === OTHER_MARKER, `the key holds ${JSON.stringify(held)}, not one of the markers`);
      const stored = [
        await store.setIfUnchanged(key('k'), first, 'a', LONG_TTL_MS),
        await store.setIfUnchanged(key('k'), second, 'b', LONG_TTL_MS),
      ];
      equal(stored.filter(Boolean).length, 1, `setIfUnchanged results: ${stored.join(', ')}`);
    },
  },
  {
    name: 'deleteMarker deletes only a key holding exactly that marker',
    run: async ({ store, key }) => {
      await store.prepareWrite(key('k'), MARKER, LONG_TTL_MS);
      equal(await store.deleteMarker(key('k'), OTHER_MARKER), false);
      equal(await store.deleteMarker(key('k'), MARKER.slice(0, -1)), false);
      equal(await store.getText(key('k')), MARKER);
      equal(await store.deleteMarker(key('k'), MARKER), true);
      equal(await store.has(key('k')), false);
      equal(await store.deleteMarker(key('k'), MARKER), false);
      await store.set(key('value'), 'a stored value', LONG_TTL_MS);
      equal(await store.deleteMarker(key('value'), MARKER), false);
      equal(await store.getText(key('value')), 'a stored value');
    },
  },
];
