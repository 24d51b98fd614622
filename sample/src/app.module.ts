import { Module } from '@nestjs/common';
import { RedisCacheModule } from '../../lib/index.js';
import { BooksModule } from './books/books.module.js';

@Module({
  imports: [
    RedisCacheModule.forRootAsync({
      isGlobal: true,
      // Without REDIS_URL the sample runs on the embedded memory store, so `npm start` works
      // on a machine without Redis; the caching behaviour is the same.
      useFactory: () => ({
        store: process.env.REDIS_URL ? 'redis' : 'memory',
        url: process.env.REDIS_URL,
        prefix: 'sample',
        ttl: '1m',
      }),
    }),
    BooksModule,
  ],
})
export class AppModule {}
