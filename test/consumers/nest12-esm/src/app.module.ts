import { Module } from '@nestjs/common';
import { RedisCacheModule } from 'nestjs-readthrough';
import { BooksController } from './books.controller.js';
import { BooksService } from './books.service.js';

@Module({
  imports: [
    RedisCacheModule.forRootAsync({
      isGlobal: true,
      useFactory: () => ({
        url: process.env.REDIS_URL,
        // Express and Fastify run one after the other against one Redis: each starts cold.
        prefix: `nest12-${process.env.PLATFORM}-${process.pid}`,
        ttl: '1m',
        requireConnectionOnBootstrap: true,
      }),
    }),
  ],
  controllers: [BooksController],
  providers: [BooksService],
})
export class AppModule {}
