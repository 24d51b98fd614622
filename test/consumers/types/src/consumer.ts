// Compiled as CommonJS under node16, nodenext and node10 (this package has no "type"), as ESM
// under bundler. Every import must resolve to its declarations, and the declarations must be
// the real ones: the @ts-expect-error lines fail the check if an import came back untyped.
import { Controller, Get, Injectable, Module, UseInterceptors } from '@nestjs/common';
import {
  JsonSerializer,
  ReadThrough,
  ReadThroughInterceptor,
  RedisCacheModule,
  RedisCacheService,
  seconds,
  type Duration,
  type CacheStore,
} from 'nestjs-readthrough';
import {
  assertSerializerConformance,
  CacheProbe,
  describeCacheStoreConformance,
  RedisCacheTestingModule,
  SERIALIZER_CONFORMANCE_CASES,
  STORE_CONFORMANCE_CASES,
  TestClock,
  type ConformingStore,
} from 'nestjs-readthrough/testing';
import { RedisCacheHealthIndicator, type RedisCacheHealthDetails } from 'nestjs-readthrough/terminus';

@Injectable()
export class PricesService {
  constructor(readonly cache: RedisCacheService) {}

  @ReadThrough((sku: string) => `price:${sku}`, seconds(30))
  async price(sku: string): Promise<number> {
    return sku.length;
  }

  // @ts-expect-error a key function taking a number on a method taking a string
  @ReadThrough((sku: number) => `price:${sku}`, '1m')
  async wrongKey(sku: string): Promise<number> {
    return sku.length;
  }
}

@Controller('prices')
@UseInterceptors(ReadThroughInterceptor)
export class PricesController {
  @Get(':sku')
  @ReadThrough('price:{params.sku}', '1m')
  async find(): Promise<{ ok: boolean }> {
    return { ok: true };
  }
}

@Module({
  imports: [RedisCacheModule.forRoot({ store: 'memory', ttl: '5m' })],
  controllers: [PricesController],
  providers: [PricesService],
})
export class AppModule {}

export const ttl: Duration = '10s';
// @ts-expect-error '2w' is not a Duration
export const badTtl: Duration = '2w';
export const cases: number = SERIALIZER_CONFORMANCE_CASES.length;
export const check: (serializer: JsonSerializer) => void = assertSerializerConformance;
export const details: RedisCacheHealthDetails = { store: 'memory' };
// @ts-expect-error 'disk' is not a store
export const badDetails: RedisCacheHealthDetails = { store: 'disk' };
export async function cacheStatus(indicator: RedisCacheHealthIndicator): Promise<'up' | 'down'> {
  return (await indicator.isHealthy('cache', { timeout: '500ms' })).cache.status;
}

export const testingModule = RedisCacheTestingModule.forRoot({ ttl: '1m', isGlobal: true, startAt: 1_000 });
// @ts-expect-error the testing module sets the store itself
export const badTestingModule = RedisCacheTestingModule.forRoot({ store: 'redis' });
export const later: (clock: TestClock) => number = (clock) => clock.advance('30s');
export async function probeHit(probe: CacheProbe, prices: PricesService): Promise<number> {
  await probe.has(PricesService, 'price', 'sku');
  // @ts-expect-error price takes a string
  await probe.has(PricesService, 'price', 1);
  return probe.expectHit(() => prices.price('a'));
}
export const storeCases: number = STORE_CONFORMANCE_CASES.length;
export const describeStore: (name: string, make: () => Promise<ConformingStore>) => void =
  describeCacheStoreConformance;
export const customStoreModule = (store: CacheStore) => RedisCacheModule.forRoot({ store });
