import 'reflect-metadata';
import { Injectable } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { ReadThrough, RedisCacheModule, RedisCacheService } from '../../lib/index.js';
import { useTestRedis, uniquePrefix } from '../helpers/test-redis.js';

@Injectable()
class Svc {
  calls = 0;
  @ReadThrough('item:{0}', '1m')
  async get(id: string): Promise<{ id: string; n: number }> {
    this.calls++;
    return { id, n: this.calls };
  }
}

const redis = useTestRedis();

it.each(['redis', 'memory'] as const)('smoke %s', async (store) => {
  const ref = await Test.createTestingModule({
    imports: [RedisCacheModule.forRoot({ store, url: store === 'redis' ? redis.url() : undefined, prefix: uniquePrefix('smoke') })],
    providers: [Svc],
  }).compile();
  await ref.init();
  const svc = ref.get(Svc);
  expect(await svc.get('a')).toEqual({ id: 'a', n: 1 });
  expect(await svc.get('a')).toEqual({ id: 'a', n: 1 });
  expect(svc.calls).toBe(1);
  expect(ref.get(RedisCacheService).stats().hits).toBe(1);
  await ref.close();
});
