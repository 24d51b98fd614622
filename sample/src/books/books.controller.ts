import { Body, Controller, Get, NotFoundException, Param, Put, UseInterceptors } from '@nestjs/common';
import { CacheEvict, ReadThrough, ReadThroughInterceptor } from '../../../lib/index.js';
import type { Book, BookSummary } from './book.interface.js';
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

  /**
   * The whole HTTP response is cached for a minute under `sample:default:summary:<isbn>`.
   * The first request runs this handler (about 300 ms) and answers `X-Cache: MISS`; later ones
   * are answered from the cache without running it: `X-Cache: HIT`, `Age` (seconds since the
   * entry was stored), the same body and the same weak `ETag` (send it back in `If-None-Match`
   * to get a 304). An unknown ISBN is a 404, which is never stored.
   */
  @Get(':isbn/summary')
  @UseInterceptors(ReadThroughInterceptor)
  @ReadThrough('summary:{params.isbn}', '1m')
  async summary(@Param('isbn') isbn: string): Promise<BookSummary> {
    const summary = await this.books.summarize(isbn);
    if (summary === null) throw new NotFoundException(`No book with ISBN ${isbn}`);
    return summary;
  }

  /**
   * Updates a book (title, authors, year from the JSON body). The service method evicts its own
   * entry (`book:<isbn>`); this route's `@CacheEvict` evicts the summary response
   * (`summary:<isbn>`), only when the answer is 2xx: an unknown ISBN is a 404 and evicts nothing.
   */
  @Put(':isbn')
  @UseInterceptors(ReadThroughInterceptor)
  @CacheEvict('summary:{params.isbn}')
  async update(@Param('isbn') isbn: string, @Body() change: Partial<Omit<Book, 'isbn'>>): Promise<{ book: Book }> {
    const book = await this.books.update({ ...change, isbn });
    if (book === null) throw new NotFoundException(`No book with ISBN ${isbn}`);
    return { book };
  }
}
