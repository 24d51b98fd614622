/** A book as the (simulated) upstream catalogue returns it. */
export interface Book {
  isbn: string;
  title: string;
  authors: string[];
  year: number;
}
