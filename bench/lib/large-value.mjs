// The compression bench's value: ~100 KB of JSON like an API page (catalogue records with ids,
// prices, dates and text from a 26-word vocabulary), deterministic per seed. Random hex ids and
// numbers keep it from compressing unrealistically well: gzip 6 gets about 4x.
export function makeLargeValue(seed = 1, targetBytes = 100 * 1024) {
  let s = seed >>> 0 || 1;
  const rnd = () => (s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32;
  const WORDS =
    'alpha bravo charlie delta echo foxtrot golf hotel india juliet kilo lima mike november oscar papa quebec romeo sierra tango uniform victor whiskey xray yankee zulu'.split(
      ' ',
    );
  const text = (n) => Array.from({ length: n }, () => WORDS[Math.floor(rnd() * WORDS.length)]).join(' ');
  const hex = (n) => Array.from({ length: n }, () => Math.floor(rnd() * 16).toString(16)).join('');
  const items = [];
  let size = 20;
  for (let i = 0; size < targetBytes; i++) {
    const item = {
      id: `${hex(8)}-${hex(4)}-${hex(4)}-${hex(12)}`,
      sku: `SKU-${Math.floor(rnd() * 1e6)}`,
      name: text(3),
      price: { amount: Math.floor(rnd() * 100000) / 100, currency: ['EUR', 'USD', 'GBP'][i % 3] },
      stock: Math.floor(rnd() * 500),
      rating: Math.round(rnd() * 50) / 10,
      tags: [text(1), text(1)],
      description: text(12 + Math.floor(rnd() * 10)),
      updatedAt: new Date(1.7e12 + Math.floor(rnd() * 3e10)).toISOString(),
    };
    size += JSON.stringify(item).length + 1;
    items.push(item);
  }
  return { page: seed, total: items.length, items };
}
