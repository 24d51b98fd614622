/**
 * Compile-time contract of @CacheEvict, @CachePut and RedisCacheService.evict/keyOf/refresh,
 * checked by `npm run typecheck`: every `@ts-expect-error` below must be an error. Whether a
 * method actually has @ReadThrough is not visible to the type system; that is a runtime
 * ReadThroughBindingError (test/e2e/evict-api.e2e.spec.ts).
 */
import { Injectable } from '@nestjs/common';
import { CacheEvict, CachePut, ReadThrough, type RedisCacheService } from '../../lib/index.js';

interface Book {
  isbn: string;
  title: string;
}

@Injectable()
export class TypedBooks {
  @ReadThrough('book:{0}', '5m')
  async find(isbn: string): Promise<Book> {
    return { isbn, title: '' };
  }

  @ReadThrough('page:{0}:{1}')
  async page(shelf: string, page: number): Promise<Book[]> {
    return [{ isbn: `${shelf}${page}`, title: '' }];
  }

  @CacheEvict('book:{0.isbn}')
  async update(book: Book): Promise<Book> {
    return book;
  }

  @CacheEvict({ keys: ['book:{0}', (isbn: string) => `shelf:${isbn}`], tags: ['author:{1}'], beforeInvocation: true })
  async remove(isbn: string, _authorId: string): Promise<void> {
    void isbn;
  }

  // @ts-expect-error the key function takes a number, the method a Book
  @CacheEvict((id: number) => `book:${id}`)
  async badEvictKey(book: Book): Promise<Book> {
    return book;
  }

  // @ts-expect-error async methods only
  @CacheEvict('book:{0}')
  syncEvict(isbn: string): string {
    return isbn;
  }

  @CachePut((book: Book) => `book:${book.isbn}`, '5m')
  async put(book: Book): Promise<Book> {
    return book;
  }

  // @ts-expect-error the key function takes a number, the method a Book
  @CachePut((id: number) => `book:${id}`)
  async badPutKey(book: Book): Promise<Book> {
    return book;
  }

  // @ts-expect-error '5 parsecs' is not a duration
  @CachePut('book:{0.isbn}', '5 parsecs')
  async badPutTtl(book: Book): Promise<Book> {
    return book;
  }

  // @ts-expect-error `nope` does not exist on Book
  @CachePut<[Book], Book>('book:{0.isbn}', '1m', { condition: (book) => book.nope })
  async badPutCondition(book: Book): Promise<Book> {
    return book;
  }
}

export async function serviceApi(cache: RedisCacheService): Promise<void> {
  const evicted: boolean = await cache.evict(TypedBooks, 'find', '978-0');
  const key: string = cache.keyOf(TypedBooks, 'page', 'sci-fi', 2);
  const fresh: Book = await cache.refresh(TypedBooks, 'find', '978-0');
  const pages: Book[] = await cache.refresh(TypedBooks, 'page', 'sci-fi', 2);
  await cache.invalidateTags(['author:7']);
  void [evicted, key, fresh, pages];

  // @ts-expect-error find takes a string, not a number
  await cache.evict(TypedBooks, 'find', 978);
  // @ts-expect-error page takes (string, number)
  cache.keyOf(TypedBooks, 'page', 'sci-fi', '2');
  // @ts-expect-error a missing argument
  cache.keyOf(TypedBooks, 'page', 'sci-fi');
  // @ts-expect-error no such method
  await cache.evict(TypedBooks, 'findd', '978-0');
  // @ts-expect-error refresh resolves the method's result type, not a string
  const wrong: string = await cache.refresh(TypedBooks, 'find', '978-0');
  // @ts-expect-error tag names are strings
  await cache.invalidateTags([7]);
  void wrong;
}
