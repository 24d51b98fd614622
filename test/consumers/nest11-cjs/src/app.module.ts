import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { RedisCacheModule } from 'nestjs-readthrough';
import { RedisCacheHealthIndicator } from 'nestjs-readthrough/terminus';
import { CatalogController } from './catalog.controller';
import { CatalogService } from './catalog.service';
import { HealthController } from './health.controller';
import { TagsController } from './tags.controller';

// REDIS_URL set: a real Redis (the consumer runner starts one); unset: the embedded memory store.
const url = process.env.REDIS_URL;

@Module({
  imports: [
    TerminusModule,
    RedisCacheModule.forRoot({
      ...(url ? { url } : { store: 'memory' as const }),
      // One prefix per test process, so reruns against one Redis never start warm.
      prefix: `nest11-${process.pid}`,
      ttl: '1m',
      // With a Redis, fail bootstrap rather than pass the test on a silently uncached fallback.
      requireConnectionOnBootstrap: Boolean(url),
    }),
  ],
  controllers: [CatalogController, TagsController, HealthController],
  providers: [CatalogService, RedisCacheHealthIndicator],
})
export class AppModule {}
