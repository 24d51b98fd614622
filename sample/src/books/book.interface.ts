/** A book as the (simulated) upstream catalogue returns it. */
export interface Book {
  isbn: string;
  title: string;
  authors: string[];
  year: number;
}

/** What `GET /books/:isbn/summary` answers: a (simulated) expensive digest of one book. */
export interface BookSummary {
  isbn: string;
  title: string;
  summary: string;
  /** When the handler produced this body: identical on every hit until the entry expires. */
  generatedAt: string;
}
