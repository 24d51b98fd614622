// bentocache, read-through with bento.getOrSet({ key, factory, ttl }), in two set-ups:
//   - redis only: a single L2 redis driver (no in-memory L1, no bus): every hit is a redis GET;
//   - memory L1 + redis L2: bentocache's two-level store, an in-process LRU in front of redis.
//     The measuring process first reads each of the 1,000 keys once (filling L1 from redis), so
//     the measured hits are answered by L1 without a round trip: it is in the table to show what
//     a local tier buys, not as a like-for-like redis round trip (redis cmd/op ~ 0).
import { BentoCache, bentostore } from 'bentocache';
import { redisDriver } from 'bentocache/drivers/redis';
import { memoryDriver } from 'bentocache/drivers/memory';
import { KEY_COUNT, makeValue } from '../lib/workload.mjs';

function bentoContender({ id, name, order, prefix, l1, note, ...rest }) {
  return {
    id,
    name,
    order,
    note,
    ...rest,
    async setup({ host, port }) {
      let misses = 0;
      let store = bentostore({ prefix });
      // Room for every key (the driver's default maxItems is 1,000, exactly the key count).
      if (l1) store = store.useL1Layer(memoryDriver({ maxItems: 4 * KEY_COUNT }));
      store = store.useL2Layer(redisDriver({ connection: { host, port } }));
      const bento = new BentoCache({ default: 'store', stores: { store } });

      const get = (id) =>
        bento.getOrSet({
          key: `item:${id}`,
          ttl: '10m',
          factory: async () => {
            misses++;
            return makeValue(id);
          },
        });

      return {
        get,
        misses: () => misses,
        async close() {
          await bento.disconnectAll();
        },
      };
    },
  };
}

export default [
  bentoContender({
    id: 'bentocache',
    name: 'bentocache (redis only)',
    order: 30,
    prefix: 'bento',
    l1: false,
    note: "`bentostore().useL2Layer(redisDriver({ connection: { host, port } }))` (no L1, no bus), `bento.getOrSet({ key, factory, ttl: '10m' })`; the redis driver uses ioredis",
  }),
  bentoContender({
    id: 'bentocache-l1',
    name: 'bentocache (memory L1 + redis L2)',
    order: 40,
    prefix: 'bento-l1',
    l1: true,
    localCache: true,
    note: '`bentostore().useL1Layer(memoryDriver({ maxItems: 4000 })).useL2Layer(redisDriver(...))` (no bus), `bento.getOrSet(...)`; L1 at its defaults otherwise (`serialize: true`: entries kept as strings and parsed on every hit). All 1,000 keys fit in L1, so measured hits never reach redis',
  }),
];
