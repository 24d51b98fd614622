import { Module } from '@nestjs/common';
import { BooksController } from './books.controller.js';
import { BooksService } from './books.service.js';

// No cache import needed here: RedisCacheModule is registered globally in AppModule.
@Module({
  controllers: [BooksController],
  providers: [BooksService],
})
export class BooksModule {}
