import { AsyncLocalStorage } from 'node:async_hooks';

/** One frame of the loads a call is running inside: its key, and the frame it runs in. */
interface Frame {
  readonly key: string;
  readonly outer: Frame | undefined;
}

/**
 * The keys whose loads the current async call runs inside. A load that calls back into the cache
 * for its own key (a route `cat:{params.id}` whose handler calls a method keyed `cat:{0}`: one
 * stored key) would otherwise join its own single-flight and wait for itself forever.
 */
export class LoadContext {
  private readonly storage = new AsyncLocalStorage<Frame>();

  /** Runs `load` as the load of `key`. */
  run<T>(key: string, load: () => Promise<T> | T): Promise<T> | T {
    return this.storage.run({ key, outer: this.storage.getStore() }, load);
  }

  /** Whether the current call runs inside a load of `key`. */
  inside(key: string): boolean {
    for (let frame = this.storage.getStore(); frame; frame = frame.outer) if (frame.key === key) return true;
    return false;
  }
}
