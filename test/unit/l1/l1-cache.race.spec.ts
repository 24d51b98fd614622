/**
 * The L1's guard against a push that overtakes a fill (README "L1": "A push racing a read"), for
 * the entry's own key and for its tag keys: a read of a tagged entry sends its GET and the MGET of
 * its tag keys together; if a tag key's invalidation is handled after those replies but before the
 * fill (the push right behind the reply on the same connection, or on the broadcast connection),
 * the entry must not be held, or the L1 would serve it after its tag was invalidated.
 */
import { L1Cache } from '../../../lib/l1/l1.cache.js';
import type { L1Reader } from '../../../lib/l1/l1.types.js';
import type { CacheEntry } from '../../../lib/serializers/cache-entry.codec.js';

const NOW = 1_000_000;
const entry: CacheEntry = { value: 'v', createdAt: NOW, freshUntil: NOW + 60_000, loadMs: 1 };
const decode = (): CacheEntry => entry;
const READER: L1Reader = { codec: {}, accept: undefined };

function serving(): L1Cache {
  const l1 = new L1Cache({ maxEntries: 100, maxBytes: 1 << 20, ttlMs: 0, shareValues: false });
  l1.live(true);
  return l1;
}

/** One read of `key` (tagged with `tags`) during which `meanwhile` happens, then the fill. */
function readWith(l1: L1Cache, key: string, tags: string[] | undefined, meanwhile: () => void): void {
  const seq = l1.beginRead(key);
  meanwhile();
  l1.fill(key, seq, 'raw', entry, tags, READER, NOW);
  l1.endRead(key);
}

describe('L1Cache: an invalidation during a read refuses its fill', () => {
  it('holds what an undisturbed read found (so the refusals below are the guard, not a no-op fill)', () => {
    const l1 = serving();
    readWith(l1, 'e', ['t'], () => undefined);
    expect(l1.get('e', NOW, ['t'], READER, decode)).toBe(entry);
  });

  it("the entry's own key", () => {
    const l1 = serving();
    readWith(l1, 'e', undefined, () => l1.invalidate('e'));
    expect(l1.get('e', NOW, undefined, READER, decode)).toBeUndefined();
  });

  it('one of its tag keys', () => {
    const l1 = serving();
    readWith(l1, 'e', ['t1', 't2'], () => l1.invalidate('t2'));
    expect(l1.get('e', NOW, ['t1', 't2'], READER, decode)).toBeUndefined();
  });

  it('an unrelated key does not refuse it', () => {
    const l1 = serving();
    readWith(l1, 'e', ['t'], () => l1.invalidate('other'));
    expect(l1.get('e', NOW, ['t'], READER, decode)).toBe(entry);
  });

  it('a tag invalidated before the read began does not refuse it (the read saw the new version)', () => {
    const l1 = serving();
    l1.invalidate('t');
    readWith(l1, 'e', ['t'], () => undefined);
    expect(l1.get('e', NOW, ['t'], READER, decode)).toBe(entry);
  });

  it('while reads never stop (past the bound of remembered keys too), a tag invalidated during each read refuses its fill', () => {
    const l1 = serving();
    const background = l1.beginRead('busy');
    for (let i = 0; i < 12_000; i++) {
      const seq = l1.beginRead(`e${i}`);
      l1.invalidate(`t${i}`);
      l1.fill(`e${i}`, seq, 'raw', entry, [`t${i}`], READER, NOW);
      l1.endRead(`e${i}`);
      expect(l1.size).toBe(0);
    }
    l1.endRead('busy');
    void background;
    readWith(l1, 'e', ['t'], () => undefined);
    expect(l1.get('e', NOW, ['t'], READER, decode)).toBe(entry);
  });
});

describe('L1Cache: what a held entry answers to', () => {
  const tagged: CacheEntry = { ...entry, tags: [['tag:a', 'v1']] };

  it("an untagged call's fill of a tagged entry is dropped by the entry's own tag (a local or pushed invalidation)", () => {
    const l1 = serving();
    const seq = l1.beginRead('e');
    l1.fill('e', seq, 'raw', tagged, undefined, READER, NOW);
    l1.endRead('e');
    expect(l1.get('e', NOW, undefined, READER, () => tagged)).toBe(tagged);
    l1.invalidate('tag:a');
    expect(l1.get('e', NOW, undefined, READER, () => tagged)).toBeUndefined();
  });

  it("an entry's own tag invalidated during an untagged read refuses the fill", () => {
    const l1 = serving();
    const seq = l1.beginRead('e');
    l1.invalidate('tag:a');
    l1.fill('e', seq, 'raw', tagged, undefined, READER, NOW);
    l1.endRead('e');
    expect(l1.size).toBe(0);
  });

  it('a decoded (shared) entry goes only to the reader that decoded it; another decodes and checks the bytes itself', () => {
    const l1 = new L1Cache({ maxEntries: 100, maxBytes: 1 << 20, ttlMs: 0, shareValues: true });
    l1.live(true);
    const seq = l1.beginRead('e');
    l1.fill('e', seq, 'raw', entry, undefined, READER, NOW);
    l1.endRead('e');
    expect(l1.get('e', NOW, undefined, READER, () => undefined)).toBe(entry);
    const other: L1Reader = { codec: READER.codec, accept: () => undefined };
    const refused: string[] = [];
    const result = l1.get('e', NOW, undefined, other, (raw) => {
      refused.push(String(raw));
      return undefined;
    });
    expect(result).toBeUndefined();
    expect(refused).toEqual(['raw']);
    expect(l1.get('e', NOW, undefined, { codec: {}, accept: undefined }, () => undefined)).toBeUndefined();
  });
});
