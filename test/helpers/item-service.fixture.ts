import 'reflect-metadata';
import { Injectable, type LoggerService } from '@nestjs/common';
import { CapturingLogger, type TestingModule } from '@nestjs/testing';
import { ReadThrough, type RedisCacheModuleOptions } from '../../lib/index.js';
import { cacheTestingModule, trackTestingModules } from './nest-testing.helper.js';

/**
 * The plainest `@ReadThrough` provider: `item(id)` is cached under `item:{0}` for 1 minute and
 * returns `{ id, load }`, where `load` numbers the runs of this instance (1 on the first run).
 * A hit returns the stored value, so a repeated `load` proves the method did not run.
 */
@Injectable()
export class ItemService {
  /** How often the method body ran on this instance. */
  calls = 0;

  @ReadThrough('item:{0}', '1m')
  async item(id: string): Promise<{ id: string; load: number }> {
    this.calls++;
    return { id, load: this.calls };
  }
}

/** Testing modules of `RedisCacheModule.forRoot(options)` with {@link ItemService}; see {@link trackItemModules}. */
export interface ItemModules {
  /** Compiles (no init) and tracks a module. */
  compile(options: RedisCacheModuleOptions): Promise<TestingModule>;
  /** Compiles, tracks and inits a module; `logger` (e.g. a `CapturingLogger` to read) replaces the silent default. */
  boot(options: RedisCacheModuleOptions, logger?: LoggerService): Promise<TestingModule>;
  /** Closes one module now (idempotent). */
  close(ref: TestingModule): Promise<void>;
}

/**
 * Compiles and boots `RedisCacheModule.forRoot(options)` with {@link ItemService}; every module
 * logs into its own `CapturingLogger` (nothing is printed) unless given a logger, and the
 * `afterEach` this registers closes those still open, so a failed expectation never leaks
 * connections into the next test. Call at file or describe level.
 */
export function trackItemModules(): ItemModules {
  const modules = trackTestingModules({ logger: () => new CapturingLogger() });
  return {
    compile: (options) => modules.compile(cacheTestingModule(options, [ItemService])),
    boot: (options, logger) => modules.boot(cacheTestingModule(options, [ItemService]), logger),
    close: modules.close,
  };
}
