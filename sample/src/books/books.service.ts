import { Injectable } from '@nestjs/common';
import { CacheEvict, ReadThrough } from '../../../lib/index.js';
import type { Book, BookSummary } from './book.interface.js';

/** Stands in for a slow upstream API (a catalogue service, a database on another continent). */
const UPSTREAM_LATENCY_MS = 300;

/** The catalogue, in memory: `PUT /books/:isbn` changes it. */
const CATALOGUE: Book[] = [
  {
    isbn: '9780262033848',
    title: 'Introduction to Algorithms',
    authors: ['Thomas H. Cormen', 'Charles E. Leiserson', 'Ronald L. Rivest', 'Clifford Stein'],
    year: 2009,
  },
  {
    isbn: '9780262510875',
    title: 'Structure and Interpretation of Computer Programs',
    authors: ['Harold Abelson', 'Gerald Jay Sussman'],
    year: 1996,
  },
  {
    isbn: '9780131103627',
    title: 'The C Programming Language',
    authors: ['Brian W. Kernighan', 'Dennis M. Ritchie'],
    year: 1988,
  },
  {
    isbn: '9780201633610',
    title: 'Design Patterns',
    authors: ['Erich Gamma', 'Richard Helm', 'Ralph Johnson', 'John Vlissides'],
    year: 1994,
  },
  { isbn: '9780201835953', title: 'The Mythical Man-Month', authors: ['Frederick P. Brooks Jr.'], year: 1995 },
];

@Injectable()
export class BooksService {
  /**
   * Cached for 5 minutes under `sample:default:book:<isbn>`. A miss waits for the upstream;
   * a hit returns without calling this method. Unknown ISBNs resolve `null`, which is not
   * stored (the module leaves `cacheNull` off), so a book added upstream shows up at once.
   */
  @ReadThrough('book:{0}', '5m')
  async findByIsbn(isbn: string): Promise<Book | null> {
    await new Promise((resolve) => setTimeout(resolve, UPSTREAM_LATENCY_MS));
    return CATALOGUE.find((book) => book.isbn === isbn) ?? null;
  }

  /**
   * Uncached on purpose: `GET /books/:isbn/summary` caches the whole HTTP response instead
   * (ReadThroughInterceptor). Stands in for an expensive digest (a report, a recommendation
   * model): it takes about 300 ms every time it runs. Unknown ISBNs resolve `null`.
   */
  async summarize(isbn: string): Promise<BookSummary | null> {
    await new Promise((resolve) => setTimeout(resolve, UPSTREAM_LATENCY_MS));
    const book = CATALOGUE.find((candidate) => candidate.isbn === isbn);
    if (book === undefined) return null;
    const authors = book.authors.length > 2 ? `${book.authors[0]} et al.` : book.authors.join(' and ');
    return {
      isbn: book.isbn,
      title: book.title,
      summary: `${book.title} by ${authors}, published ${book.year}.`,
      generatedAt: new Date().toISOString(),
    };
  }

  /**
   * Changes a book and evicts `sample:default:book:<isbn>` once the change succeeded, so the
   * next `findByIsbn(isbn)` reads the new data (`'book:{0.isbn}'` here and `'book:{0}'` above
   * derive one key). Resolves the updated book, or `null` for an unknown ISBN.
   */
  @CacheEvict('book:{0.isbn}')
  async update(change: Pick<Book, 'isbn'> & Partial<Omit<Book, 'isbn'>>): Promise<Book | null> {
    const book = CATALOGUE.find((candidate) => candidate.isbn === change.isbn);
    if (book === undefined) return null;
    Object.assign(book, { ...change, isbn: book.isbn });
    return { ...book };
  }

  /** The whole catalogue, uncached: it is local data. */
  async findAll(): Promise<Book[]> {
    return [...CATALOGUE];
  }
}
