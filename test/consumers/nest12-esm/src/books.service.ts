import { Injectable } from '@nestjs/common';
import { ReadThrough } from 'nestjs-readthrough';

export interface Book {
  isbn: string;
  title: string;
}

@Injectable()
export class BooksService {
  /** How often the method body ran. */
  loads = 0;

  @ReadThrough('book:{0}', '1m')
  async find(isbn: string): Promise<Book> {
    this.loads += 1;
    return { isbn, title: `Book ${isbn}` };
  }
}
