import { Controller, Get, NotFoundException, Param } from '@nestjs/common';
import type { Book } from './book.interface.js';
import { BooksService } from './books.service.js';

@Controller('books')
export class BooksController {
  constructor(private readonly books: BooksService) {}

  @Get()
  async findAll(): Promise<{ books: Book[] }> {
    return { books: await this.books.findAll() };
  }

  /** `tookMs` shows the cache at work: about 300 ms on a miss, well under 1 ms on a hit. */
  @Get(':isbn')
  async findOne(@Param('isbn') isbn: string): Promise<{ book: Book; tookMs: number }> {
    const started = performance.now();
    const book = await this.books.findByIsbn(isbn);
    const tookMs = Math.round((performance.now() - started) * 100) / 100;
    if (book === null) throw new NotFoundException(`No book with ISBN ${isbn}`);
    return { book, tookMs };
  }
}
