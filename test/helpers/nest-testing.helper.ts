import 'reflect-metadata';
import type { LoggerService, LogLevel, ModuleMetadata, Provider } from '@nestjs/common';
import { CapturingLogger, Test, type TestingModule } from '@nestjs/testing';
import { RedisCacheModule, type RedisCacheModuleOptions } from '../../lib/index.js';

/** Anything with an async `close()`: a testing module, a Nest application. */
export interface Closable {
  close(): Promise<unknown>;
}

/** The things one {@link closeAfterEach} call keeps track of. */
export interface OpenSet<T extends Closable> {
  /** Tracks `item` until it is closed; returns it. */
  add(item: T): T;
  /** Closes `item` now and stops tracking it. Idempotent: an item not (or no longer) tracked is left alone. */
  close(item: T): Promise<void>;
  /** Closes every tracked item, oldest first (also what the registered `afterEach` does). */
  closeAll(): Promise<void>;
}

/**
 * Registers an `afterEach` (in the describe block it is called in) that closes everything added
 * and not yet closed, so a failed expectation never leaks connections into the next test.
 */
export function closeAfterEach<T extends Closable>(): OpenSet<T> {
  const open = new Set<T>();
  const close = async (item: T): Promise<void> => {
    if (!open.delete(item)) return;
    await item.close();
  };
  const closeAll = async (): Promise<void> => {
    for (const item of [...open]) await close(item);
  };
  afterEach(closeAll);
  return {
    add(item) {
      open.add(item);
      return item;
    },
    close,
    closeAll,
  };
}

/** Options for {@link trackTestingModules}. */
export interface TrackTestingModulesOptions {
  /**
   * Makes the logger of a module compiled without one (set on the builder, so it sees compile and
   * init). Omitted: Nest's default for testing modules, which prints errors only. Pass
   * `() => new CapturingLogger()` for a module that prints nothing.
   */
  logger?: () => LoggerService;
}

/** Compiles and boots testing modules and closes those still open after each test. */
export interface TestingModules {
  /** Compiles (without init) and tracks a module; `logger` overrides the tracker's default. */
  compile(metadata: ModuleMetadata, logger?: LoggerService): Promise<TestingModule>;
  /** {@link TestingModules.compile}, then `init()`. A module whose init fails stays tracked and is closed after the test. */
  boot(metadata: ModuleMetadata, logger?: LoggerService): Promise<TestingModule>;
  /** Closes one module now (idempotent). */
  close(ref: TestingModule): Promise<void>;
  /** Closes every module still open. */
  closeAll(): Promise<void>;
}

/**
 * A {@link TestingModules} whose modules are closed by an `afterEach` registered in the current
 * describe block (call at file or describe level, not inside a test).
 */
export function trackTestingModules(options: TrackTestingModulesOptions = {}): TestingModules {
  const open = closeAfterEach<TestingModule>();
  const compile = async (metadata: ModuleMetadata, logger = options.logger?.()): Promise<TestingModule> => {
    const builder = Test.createTestingModule(metadata);
    if (logger !== undefined) builder.setLogger(logger);
    return open.add(await builder.compile());
  };
  return {
    compile,
    async boot(metadata, logger) {
      const ref = await compile(metadata, logger);
      await ref.init();
      return ref;
    },
    close: open.close,
    closeAll: open.closeAll,
  };
}

/** The metadata of a testing module with `RedisCacheModule.forRoot(options)` and `providers`. */
export function cacheTestingModule(options: RedisCacheModuleOptions, providers: Provider[]): ModuleMetadata {
  return { imports: [RedisCacheModule.forRoot(options)], providers };
}

/** A module initialised with a log capture attached. */
export interface Captured {
  readonly ref: TestingModule;
  readonly logger: CapturingLogger;
}

/**
 * Attaches a fresh `CapturingLogger` to a compiled module (`useLogger`, so it sees what init and
 * later calls log), then runs `init()`.
 */
export async function initCapturing(ref: TestingModule): Promise<Captured> {
  const logger = new CapturingLogger();
  ref.useLogger(logger);
  await ref.init();
  return { ref, logger };
}

/** The string messages of the captured entries at `level`, oldest first. */
export function loggedMessages(logger: CapturingLogger, level: LogLevel): string[] {
  return logger
    .filter({ level })
    .map((entry) => entry.message)
    .filter((message): message is string => typeof message === 'string');
}

/**
 * Everything the logger was given, one line per call: `<level> <arg> <arg> ...` with every
 * argument as passed (context included), an `Error` as `name: message`, newline, stack. For
 * asserting that some text (a password) occurs nowhere in the logs.
 */
export function loggedText(logger: CapturingLogger): string {
  const render = (arg: unknown): string =>
    arg instanceof Error ? `${arg.name}: ${arg.message}\n${arg.stack}` : String(arg);
  return logger.entries.map((entry) => `${entry.level} ${entry.args.map(render).join(' ')}`).join('\n');
}
