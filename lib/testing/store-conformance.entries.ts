import { deepEqual, equal, ok } from 'node:assert/strict';
import { LONG_TTL_MS, pause, SHORT_TTL_MS, type StoreConformanceCase } from './store-conformance.types.js';

const EVERY_BYTE = Buffer.from(Array.from({ length: 1024 }, (_, i) => i % 256));
const UNICODE = 'héllo 🌍 \u0000\n"quoted" ünïcödé';

/** Entries: reads, writes, expiry, deletion and prefix sweeps. */
export const ENTRY_CASES: readonly StoreConformanceCase[] = [
  {
    name: 'has a non-empty kind',
    run: async ({ store }) => ok(typeof store.kind === 'string' && store.kind.length > 0, `kind is ${store.kind}`),
  },
  {
    name: 'reads an absent key as absent (get, getText, has, ttl, delete)',
    run: async ({ store, key }) => {
      equal(await store.get(key('none')), null);
      equal(await store.getText(key('none')), null);
      equal(await store.has(key('none')), false);
      equal(await store.ttl(key('none')), undefined);
      equal(await store.delete(key('none')), false);
    },
  },
  {
    name: 'round-trips every byte value as a Buffer, and UTF-8 text through getText',
    run: async ({ store, key }) => {
      await store.set(key('bytes'), EVERY_BYTE, LONG_TTL_MS);
      const bytes = await store.get(key('bytes'));
      ok(Buffer.isBuffer(bytes), 'get() must resolve a Buffer');
      ok(bytes.equals(EVERY_BYTE), 'the bytes read back differ from those stored');
      await store.set(key('text'), UNICODE, LONG_TTL_MS);
      equal(await store.getText(key('text')), UNICODE);
      // A string is stored as its UTF-8 bytes, and bytes read as text decode as UTF-8.
      ok((await store.get(key('text')))?.equals(Buffer.from(UNICODE, 'utf8')), 'a string was not stored as UTF-8');
      await store.set(key('utf8-bytes'), Buffer.from(UNICODE, 'utf8'), LONG_TTL_MS);
      equal(await store.getText(key('utf8-bytes')), UNICODE);
    },
  },
  {
    name: 'round-trips a 1 MiB value',
    run: async ({ store, key }) => {
      const big = Buffer.alloc(1024 * 1024, 0xab);
      await store.set(key('big'), big, LONG_TTL_MS);
      ok((await store.get(key('big')))?.equals(big), 'the 1 MiB value read back differs');
    },
  },
  {
    name: 'reports has() and a ttl() within what was set',
    run: async ({ store, key }) => {
      await store.set(key('k'), 'v', 10_000);
      equal(await store.has(key('k')), true);
      const ttl = await store.ttl(key('k'));
      ok(ttl !== undefined && ttl > 5_000 && ttl <= 10_000, `ttl() was ${ttl} right after a 10 s set`);
    },
  },
  {
    name: 'overwrites the value and the time to live on set',
    run: async ({ store, key }) => {
      await store.set(key('k'), 'first', LONG_TTL_MS);
      await store.set(key('k'), 'second', 5_000);
      equal(await store.getText(key('k')), 'second');
      const ttl = await store.ttl(key('k'));
      ok(ttl !== undefined && ttl <= 5_000, `ttl() was ${ttl} after overwriting with a 5 s ttl`);
    },
  },
  {
    name: 'expires a key after its time to live',
    run: async ({ store, key }) => {
      await store.set(key('short'), 'v', SHORT_TTL_MS);
      await store.set(key('long'), 'v', LONG_TTL_MS);
      equal(await store.has(key('short')), true);
      await pause(SHORT_TTL_MS * 3);
      equal(await store.get(key('short')), null);
      equal(await store.getText(key('short')), null);
      equal(await store.has(key('short')), false);
      equal(await store.ttl(key('short')), undefined);
      equal(await store.getText(key('long')), 'v');
    },
  },
  {
    name: 'deletes a key once (true, then false), leaving other keys',
    run: async ({ store, key }) => {
      await store.set(key('a'), 'a', LONG_TTL_MS);
      await store.set(key('b'), 'b', LONG_TTL_MS);
      equal(await store.delete(key('a')), true);
      equal(await store.delete(key('a')), false);
      equal(await store.has(key('a')), false);
      equal(await store.getText(key('b')), 'b');
    },
  },
  {
    name: 'deletes by a literal prefix: glob characters in it match only themselves',
    run: async ({ store, key }) => {
      const names = ['a:1', 'a:2', 'ab', 'b:1', 'x*:1', 'x?:1', 'x[1]:1', 'x\\:1', 'xz:1', 'x1:1'];
      for (const name of names) await store.set(key(name), name, LONG_TTL_MS);
      equal(await store.deleteByPrefix(key('a:')), 2);
      equal(await store.deleteByPrefix(key('x*')), 1);
      equal(await store.deleteByPrefix(key('x?')), 1);
      equal(await store.deleteByPrefix(key('x[1]')), 1);
      equal(await store.deleteByPrefix(key('x\\')), 1);
      equal(await store.deleteByPrefix(key('nothing:')), 0);
      const left = [];
      for (const name of names) if (await store.has(key(name))) left.push(name);
      deepEqual(left, ['ab', 'b:1', 'xz:1', 'x1:1']);
    },
  },
  {
    name: 'deletes by prefix more keys than one scan page holds (1,500)',
    run: async ({ store, key }) => {
      await Promise.all(Array.from({ length: 1_500 }, (_, i) => store.set(key(`many:${i}`), 'v', LONG_TTL_MS)));
      equal(await store.deleteByPrefix(key('many:')), 1_500);
      equal(await store.has(key('many:0')), false);
      equal(await store.has(key('many:1499')), false);
    },
  },
];
