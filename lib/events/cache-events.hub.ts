import { Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { Observable, Subject } from 'rxjs';
import type { CacheEventOrigin, RedisCacheEvent } from './cache-event.types.js';

/**
 * Where every part of one application's cache reports its events (the executor's reading and
 * writing halves, the command lane's circuit breaker, the L1), and what
 * `RedisCacheService.events$` hands out. One per `RedisCacheModule` import, provided by the module.
 *
 * Free when nobody listens: the Subject is only created by the first subscription, and every
 * emission point checks {@link listening} (one field read) before it builds an event object, so a
 * hit without subscribers allocates nothing more than before. Events are delivered synchronously,
 * in the call that caused them; a subscriber that throws is reported by rxjs as an unhandled
 * error (`config.onUnhandledError`) and never fails the cache call.
 *
 * @example
 * // an emission point: nothing is allocated unless someone subscribed
 * if (events.listening) events.emit({ type: 'miss', namespace: policy.namespace, label: policy.label });
 */
@Injectable()
export class CacheEventsHub implements OnApplicationShutdown {
  private subject: Subject<RedisCacheEvent> | undefined;
  private subscribers = 0;

  /** Every event of this application's cache, from the subscription on (no replay). */
  readonly events$: Observable<RedisCacheEvent> = new Observable<RedisCacheEvent>((subscriber) => {
    const subscription = (this.subject ??= new Subject<RedisCacheEvent>()).subscribe(subscriber);
    this.subscribers++;
    return () => {
      this.subscribers--;
      subscription.unsubscribe();
    };
  });

  /**
   * Set by the OpenTelemetry integration (`spans: true`): runs each load (the method, handler or
   * factory) inside a span, so that what the method does nests under it. `undefined`: loads run as is.
   */
  traceLoad: (<T>(origin: CacheEventOrigin, load: () => Promise<T> | T) => Promise<T>) | undefined;

  /** Whether anyone subscribed: emission points check this before building an event. */
  get listening(): boolean {
    return this.subscribers > 0;
  }

  /** Delivers `event` to the subscribers (none: does nothing). */
  emit(event: RedisCacheEvent): void {
    if (this.subscribers > 0) this.subject?.next(event);
  }

  /** Emits an event that carries only its origin (`hit`, `miss`, `lock-wait`, `l1-hit`...), if anyone listens. */
  emitAt(type: OriginOnlyEventType, origin: CacheEventOrigin): void {
    if (this.subscribers > 0) this.subject?.next({ type, namespace: origin.namespace, label: origin.label });
  }

  /**
   * For the L1: reports that it dropped an entry (`'l1-eviction'`: to stay within bounds;
   * `'l1-invalidation'`: the entry changed) or everything (`'l1-flush'`), if anyone listens.
   */
  l1(type: 'l1-eviction' | 'l1-invalidation' | 'l1-flush'): void {
    if (this.subscribers > 0) this.subject?.next({ type });
  }

  /** Completes `events$` for its subscribers: the application is closing. */
  onApplicationShutdown(): void {
    this.subject?.complete();
  }
}

/** Events whose only fields are `type` and their origin. */
export type OriginOnlyEventType = 'hit' | 'stale-hit' | 'miss' | 'lock-wait' | 'l1-hit';

/**
 * The namespace part of a full key `<prefix>:<namespace>:<rest>` (names never contain `:`), or
 * `''` for a key or prefix that names no namespace (`<prefix>:`, the library's own keys).
 */
export function namespaceOfKey(prefix: string, key: string): string {
  if (!key.startsWith(prefix) || key.charCodeAt(prefix.length) !== 58 /* ':' */) return '';
  const start = prefix.length + 1;
  const end = key.indexOf(':', start);
  return end < 0 ? '' : key.slice(start, end);
}
