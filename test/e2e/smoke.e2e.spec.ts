import 'reflect-metadata';
import { RedisCacheService } from '../../lib/index.js';
import { ItemService, trackItemModules } from '../helpers/item-service.fixture.js';
import { useTestRedis, uniquePrefix } from '../helpers/test-redis.js';

const redis = useTestRedis();
const { boot, close } = trackItemModules();

it.each(['redis', 'memory'] as const)('smoke %s', async (store) => {
  const ref = await boot({ store, url: store === 'redis' ? redis.url() : undefined, prefix: uniquePrefix('smoke') });
  const svc = ref.get(ItemService);
  expect(await svc.item('a')).toEqual({ id: 'a', load: 1 });
  expect(await svc.item('a')).toEqual({ id: 'a', load: 1 });
  expect(svc.calls).toBe(1);
  expect(ref.get(RedisCacheService).stats().hits).toBe(1);
  await close(ref);
});
