// bentocache with a single L2 redis driver (no in-memory L1, no bus): every hit is a redis GET.
// Read-through with bento.getOrSet({ key, factory, ttl }).
import { BentoCache, bentostore } from 'bentocache';
import { redisDriver } from 'bentocache/drivers/redis';
import { KEY_COUNT, makeValue, sameValue } from '../lib/workload.mjs';

const NAME = 'bentocache (redis only)';

export const bentocache = {
  name: NAME,
  note: 'bento.getOrSet({ key, factory, ttl }), L2 redis driver (ioredis) only',
  async setup({ host, port }) {
    let misses = 0;
    const bento = new BentoCache({
      default: 'redis',
      stores: {
        redis: bentostore({ prefix: 'bento' }).useL2Layer(redisDriver({ connection: { host, port } })),
      },
    });

    const get = (id) =>
      bento.getOrSet({
        key: `item:${id}`,
        ttl: '10m',
        factory: async () => {
          misses++;
          return makeValue(id);
        },
      });

    await bento.deleteMany({ keys: Array.from({ length: KEY_COUNT }, (_, id) => `item:${id}`) });
    for (let id = 0; id < KEY_COUNT; id++) await get(id);
    if (misses !== KEY_COUNT) throw new Error(`${NAME}: warm-up computed ${misses} values, expected ${KEY_COUNT}`);
    if (!sameValue(await get(42), makeValue(42))) throw new Error(`${NAME}: round trip changed the value`);

    return {
      get,
      misses: () => misses - KEY_COUNT,
      async close() {
        await bento.disconnectAll();
      },
    };
  },
};
