import { Controller, Get, Param, UseInterceptors } from '@nestjs/common';
import { ReadThrough, ReadThroughInterceptor } from 'nestjs-readthrough';
import { BooksService } from './books.service.js';

@Controller('books')
@UseInterceptors(ReadThroughInterceptor)
export class BooksController {
  /** How often the route handler ran. */
  runs = 0;

  constructor(private readonly books: BooksService) {}

  @Get(':isbn/summary')
  @ReadThrough('summary:{params.isbn}', '1m')
  async summary(@Param('isbn') isbn: string) {
    this.runs += 1;
    const book = await this.books.find(isbn);
    return { isbn, title: book.title };
  }
}
