import { Observable } from 'rxjs';

/** The value of `promise` as an Observable: rxjs `from(promise)` with one `then` on the hit path instead of two. */
export function settled<T>(promise: Promise<T>): Observable<T> {
  return new Observable<T>((subscriber) => {
    promise.then(
      (value) => {
        subscriber.next(value);
        subscriber.complete();
      },
      (error: unknown) => subscriber.error(error),
    );
  });
}
