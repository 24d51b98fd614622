import { Module } from '@nestjs/common';
import { RedisCacheModule } from 'nestjs-readthrough';
import { CatalogController } from './catalog.controller';
import { CatalogService } from './catalog.service';
import { TagsController } from './tags.controller';

// REDIS_URL set: a real Redis (the consumer runner starts one); unset: the embedded memory store.
const url = process.env.REDIS_URL;

@Module({
  imports: [
    RedisCacheModule.forRoot({
      ...(url ? { url } : { store: 'memory' as const }),
      // One prefix per test process, so reruns against one Redis never start warm.
      prefix: `nest11-${process.pid}`,
      ttl: '1m',
      // With a Redis, fail bootstrap rather than pass the test on a silently uncached fallback.
      requireConnectionOnBootstrap: Boolean(url),
    }),
  ],
  controllers: [CatalogController, TagsController],
  providers: [CatalogService],
})
export class AppModule {}
