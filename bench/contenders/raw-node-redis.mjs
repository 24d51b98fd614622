// The ceiling: node-redis v6 used by hand, GET + JSON.parse (with a hand-written miss branch
// that never runs on the hit path). Two variants:
//   - timeout 0: per-command timeouts off, so no AbortSignal.timeout() per command;
//   - defaults : v6's default per-command timeout, i.e. what `createClient({ url })` gives you.
import { createClient } from 'redis';
import { KEY_COUNT, TTL_MS, makeValue, sameValue } from '../lib/workload.mjs';

function rawContender({ name, prefix, clientOptions }) {
  return {
    name,
    async setup({ url }) {
      const client = createClient({ url, ...clientOptions });
      client.on('error', (err) => console.error(`[${name}] redis error: ${err.message}`));
      await client.connect();

      let misses = 0;
      const keyOf = (id) => `${prefix}:item:${id}`;
      const get = async (id) => {
        const json = await client.get(keyOf(id));
        if (json !== null) return JSON.parse(json);
        misses++;
        const value = makeValue(id);
        await client.set(keyOf(id), JSON.stringify(value), { expiration: { type: 'PX', value: TTL_MS } });
        return value;
      };

      // Warm the keys through the contender's own path (the miss branch writes them).
      await client.del(Array.from({ length: KEY_COUNT }, (_, id) => keyOf(id)));
      for (let id = 0; id < KEY_COUNT; id++) await get(id);
      const warmMisses = misses;
      if (!sameValue(await get(42), makeValue(42))) throw new Error(`${name}: round trip changed the value`);
      if (misses !== warmMisses) throw new Error(`${name}: a warm key missed`);

      return {
        get,
        misses: () => misses - warmMisses,
        async close() {
          await client.close();
        },
      };
    },
  };
}

export const rawTimeout0 = rawContender({
  name: 'raw node-redis v6 (timeout 0)',
  prefix: 'raw0',
  clientOptions: { commandOptions: { timeout: 0 } },
});

export const rawDefaults = rawContender({
  name: 'raw node-redis v6 (defaults)',
  prefix: 'rawd',
  clientOptions: {},
});
