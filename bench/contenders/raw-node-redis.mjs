// The ceiling: node-redis v6 used by hand, GET + JSON.parse (with a hand-written miss branch
// that only runs when the parent's prepare step writes the keys). Two variants:
//   - timeout 0: per-command timeouts off, so no AbortSignal.timeout() per command (the ceiling);
//   - defaults : v6's default per-command timeout, i.e. what `createClient({ url })` gives you
//                (optional: runs only when BENCH_ONLY names it, e.g. BENCH_ONLY=raw-defaults).
import { createClient } from 'redis';
import { TTL_MS, makeValue } from '../lib/workload.mjs';

function rawContender({ id, name, order, prefix, clientOptions, ...rest }) {
  return {
    id,
    name,
    order,
    ...rest,
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

      return {
        get,
        misses: () => misses,
        async close() {
          await client.close();
        },
      };
    },
  };
}

export default [
  rawContender({
    id: 'ceiling',
    name: 'raw node-redis v6 (timeout 0)',
    order: 0,
    ceiling: true,
    note: '`createClient({ url, commandOptions: { timeout: 0 } })`, GET + JSON.parse',
    prefix: 'raw0',
    clientOptions: { commandOptions: { timeout: 0 } },
  }),
  rawContender({
    id: 'raw-defaults',
    name: 'raw node-redis v6 (defaults)',
    order: 90,
    optional: true,
    note: "`createClient({ url })`, GET + JSON.parse: v6's default per-command timeout (an AbortSignal.timeout() per command)",
    prefix: 'rawd',
    clientOptions: {},
  }),
];
