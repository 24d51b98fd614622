import { deepEqual, equal, fail, ok } from 'node:assert/strict';
import {
  EXTENDED_TTL_MS,
  LONG_TTL_MS,
  pause,
  SHORT_TTL_MS,
  type StoreConformanceCase,
} from './store-conformance.types.js';

/** How long an announcement may take to arrive, and a subscription to become live. */
const DELIVERY_MS = 5_000;

/** Tags (versions that invalidate entries by being deleted) and locks (cross-process single-flight). */
export const COORDINATION_CASES: readonly StoreConformanceCase[] = [
  {
    name: 'getTagVersions reads absent tag keys as null, in the order asked; no keys is no-op',
    run: async ({ store, tagKey }) => {
      deepEqual(await store.getTagVersions([tagKey('a'), tagKey('b')]), [null, null]);
      deepEqual(await store.getTagVersions([]), []);
      deepEqual(await store.prepareTags([], [], LONG_TTL_MS), []);
      await store.extendTags([], LONG_TTL_MS);
    },
  },
  {
    name: 'prepareTags gives absent tag keys their version and keeps the version of existing ones',
    run: async ({ store, tagKey }) => {
      deepEqual(await store.prepareTags([tagKey('a')], ['v1'], LONG_TTL_MS), ['v1']);
      deepEqual(await store.prepareTags([tagKey('a'), tagKey('b')], ['v2', 'v3'], LONG_TTL_MS), ['v1', 'v3']);
      deepEqual(await store.getTagVersions([tagKey('b'), tagKey('a')]), ['v3', 'v1']);
    },
  },
  {
    name: 'concurrent prepareTags calls on an absent tag key agree on one version',
    run: async ({ store, tagKey }) => {
      const [first, second] = await Promise.all([
        store.prepareTags([tagKey('a')], ['x'], LONG_TTL_MS),
        store.prepareTags([tagKey('a')], ['y'], LONG_TTL_MS),
      ]);
      deepEqual(first, second);
      ok(first[0] === 'x' || first[0] === 'y', `version ${first[0]}`);
      deepEqual(await store.getTagVersions([tagKey('a')]), first);
    },
  },
  {
    name: 'tag keys expire after their time to live',
    run: async ({ store, tagKey }) => {
      await store.prepareTags([tagKey('short'), tagKey('long')], ['s', 'l'], SHORT_TTL_MS);
      await store.prepareTags([tagKey('long')], ['ignored'], LONG_TTL_MS);
      await pause(SHORT_TTL_MS * 3);
      deepEqual(await store.getTagVersions([tagKey('short'), tagKey('long')]), [null, 'l']);
    },
  },
  {
    name: 'extendTags lengthens, never shortens, and never creates a tag key (prepareTags lengthens too)',
    run: async ({ store, tagKey }) => {
      const [lengthened, byPrepare, kept] = [tagKey('lengthened'), tagKey('by-prepare'), tagKey('kept')];
      await store.prepareTags([lengthened, byPrepare], ['a', 'b'], EXTENDED_TTL_MS);
      await store.prepareTags([kept], ['c'], LONG_TTL_MS);
      await store.extendTags([lengthened, tagKey('absent')], LONG_TTL_MS);
      deepEqual(await store.prepareTags([byPrepare], ['other'], LONG_TTL_MS), ['b']);
      await store.extendTags([kept], SHORT_TTL_MS);
      await pause(EXTENDED_TTL_MS * 2);
      deepEqual(await store.getTagVersions([lengthened, byPrepare, kept, tagKey('absent')]), ['a', 'b', 'c', null]);
    },
  },
  {
    name: 'deleteTags deletes tag keys, resolves how many existed, and a later prepareTags starts a new version',
    run: async ({ store, tagKey }) => {
      await store.prepareTags([tagKey('a'), tagKey('b')], ['1', '2'], LONG_TTL_MS);
      equal(await store.deleteTags([tagKey('a'), tagKey('b'), tagKey('absent')]), 2);
      deepEqual(await store.getTagVersions([tagKey('a'), tagKey('b')]), [null, null]);
      equal(await store.deleteTags([]), 0);
      deepEqual(await store.prepareTags([tagKey('a')], ['new'], LONG_TTL_MS), ['new']);
    },
  },
  {
    name: 'acquireLock is exclusive: of concurrent callers exactly one takes it',
    run: async ({ store, key }) => {
      const taken = await Promise.all(
        ['t1', 't2', 't3', 't4', 't5'].map((t) => store.acquireLock(key('l'), t, LONG_TTL_MS)),
      );
      equal(taken.filter(Boolean).length, 1, `acquireLock results: ${taken.join(', ')}`);
      equal(await store.acquireLock(key('l'), 'late', LONG_TTL_MS), false);
    },
  },
  {
    name: 'releaseLock releases only its owner’s lock',
    run: async ({ store, key }) => {
      equal(await store.acquireLock(key('l'), 'owner', LONG_TTL_MS), true);
      equal(await store.releaseLock(key('l'), 'intruder'), false);
      equal(await store.acquireLock(key('l'), 'intruder', LONG_TTL_MS), false);
      equal(await store.releaseLock(key('l'), 'owner'), true);
      equal(await store.releaseLock(key('l'), 'owner'), false);
      equal(await store.acquireLock(key('l'), 'next', LONG_TTL_MS), true);
      equal(await store.releaseLock(key('l'), 'owner'), false);
    },
  },
  {
    name: 'a lock expires after its ttl: anyone may take it, and the old owner can neither release nor renew it',
    run: async ({ store, key }) => {
      equal(await store.acquireLock(key('alone'), 'owner', SHORT_TTL_MS), true);
      equal(await store.acquireLock(key('taken'), 'owner', SHORT_TTL_MS), true);
      await pause(SHORT_TTL_MS * 3);
      equal(await store.releaseLock(key('alone'), 'owner'), false, 'released a lock that had expired');
      equal(await store.acquireLock(key('taken'), 'next', LONG_TTL_MS), true);
      equal(await store.releaseLock(key('taken'), 'owner'), false);
      equal(await store.renewLock(key('taken'), 'owner', LONG_TTL_MS), false);
      equal(await store.renewLock(key('alone'), 'owner', LONG_TTL_MS), false);
    },
  },
  {
    name: 'renewLock extends only its owner’s lock',
    run: async ({ store, key }) => {
      equal(await store.acquireLock(key('l'), 'owner', EXTENDED_TTL_MS), true);
      equal(await store.renewLock(key('l'), 'intruder', LONG_TTL_MS), false);
      equal(await store.renewLock(key('l'), 'owner', LONG_TTL_MS), true);
      await pause(EXTENDED_TTL_MS * 2);
      equal(await store.acquireLock(key('l'), 'intruder', LONG_TTL_MS), false, 'the renewed lock expired');
      equal(await store.releaseLock(key('l'), 'owner'), true);
    },
  },
  {
    name: 'announceLockRelease reaches every watcher of its channel, in this process too, and no other channel',
    run: async ({ store, channel, key }) => {
      const heard: string[] = [];
      const watch = store.watchLockReleases(channel('a'), (k) => heard.push(`a1:${k}`));
      store.watchLockReleases(channel('a'), (k) => heard.push(`a2:${k}`));
      const other = store.watchLockReleases(channel('b'), (k) => heard.push(`b:${k}`));
      await until(() => watch.live && other.live, 'the watches never became live');
      await store.announceLockRelease(channel('a'), key('lock'));
      await until(() => heard.length >= 2, `heard ${JSON.stringify(heard)}`);
      // Anything sent to b would have come over the same connection by the time b's own arrives.
      await store.announceLockRelease(channel('b'), key('lock-b'));
      await until(() => heard.length >= 3, `heard ${JSON.stringify(heard)}`);
      deepEqual([...heard].sort(), [`a1:${key('lock')}`, `a2:${key('lock')}`, `b:${key('lock-b')}`]);
    },
  },
];

async function until(condition: () => boolean, message: string): Promise<void> {
  const deadline = Date.now() + DELIVERY_MS;
  while (!condition()) {
    if (Date.now() > deadline) fail(`${message} within ${DELIVERY_MS} ms`);
    await pause(10);
  }
}
