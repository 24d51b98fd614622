// nestjs-readthrough: a Nest application context with RedisCacheModule.forRoot(...) and a provider
// whose method carries @ReadThrough('item:{0}', '10m'), applied by hand (bench/ is plain JS).
//
// `nestjs-readthrough` is installed as "file:..", i.e. a symlink to the repository root, so its
// dist/ resolves @nestjs/common and @nestjs/core from the ROOT node_modules, not bench's. Nest
// identifies injectable framework classes (ModuleRef, Reflector, ...) by class identity, so this
// contender builds its app with the very @nestjs/* copies the library itself resolves.
//
// Hook for more variants of the library (e.g. with an in-process L1 tier once the module has an
// `l1` option): add ONE file next to this one, say contenders/nestjs-readthrough-l1.mjs, with
//
//   import { readThroughContender } from './nestjs-readthrough.mjs';
//   export default readThroughContender({
//     id: 'readthrough-l1',
//     name: 'nestjs-readthrough (memory L1 + redis)',
//     order: 15,
//     prefix: 'bench-l1',           // its own keys, so it never reads another contender's entries
//     moduleOptions: { l1: { ... } }, // merged into RedisCacheModule.forRoot({ url, prefix, ttl })
//     localCache: true,             // hits may be answered without redis: cmd/op < 1 is expected
//   });
//
// hit-path.bench.mjs picks up every contenders/*.mjs by itself (lib/hit-contenders.mjs).
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { makeValue } from '../lib/workload.mjs';

/**
 * Where the library is loaded from: the bench's `nestjs-readthrough` dependency ("file:..", the
 * repository's own dist/), or, with BENCH_LIBRARY_DIR=<dir>, the ESM build in <dir>/dist/esm of
 * another checkout (e.g. `git archive <commit>` built apart, with node_modules linked to the
 * root's), so that a rebuild of the working tree during a run cannot change what is measured.
 */
export function libraryEntryUrl() {
  const dir = process.env.BENCH_LIBRARY_DIR;
  if (dir) return pathToFileURL(resolve(dir, 'dist', 'esm', 'index.js')).href;
  return import.meta.resolve('nestjs-readthrough');
}

/**
 * Imports `nestjs-readthrough` and the @nestjs/* copies it resolves.
 * Throws (with the original cause) when the library is not built or cannot be loaded.
 */
async function load() {
  const libUrl = libraryEntryUrl();
  const lib = await import(libUrl);
  const requireFromLib = createRequire(libUrl);
  const fromLib = (spec) => import(pathToFileURL(requireFromLib.resolve(spec)).href);
  const [common, core] = await Promise.all([fromLib('@nestjs/common'), fromLib('@nestjs/core')]);
  return { lib, common, core, libUrl, nestCorePath: requireFromLib.resolve('@nestjs/core') };
}

/**
 * A nestjs-readthrough contender: `RedisCacheModule.forRoot({ url, prefix, ttl: '10m',
 * ...moduleOptions })` and `@ReadThrough('item:{0}', '10m')` on `ItemService.get(id)`.
 * `onApp(app, lib)`, if given, runs once the app is up and may return a teardown.
 */
export function readThroughContender({ id, name, order, prefix, moduleOptions = {}, note, onApp, ...rest }) {
  const shown = Object.keys(moduleOptions).length ? `, ${JSON.stringify(moduleOptions)}` : '';
  return {
    id,
    name,
    order,
    note:
      note ??
      `Nest application context, \`RedisCacheModule.forRoot({ url, prefix: '${prefix}', ttl: '10m'${shown} })\`, ` +
        "a provider `ItemService` whose `get(id)` carries `@ReadThrough('item:{0}', '10m')`; called as `app.get(ItemService).get(id)`",
    ...rest,
    /** @returns {Promise<string|null>} null when loadable, else why not */
    async unavailable() {
      try {
        await load();
        return null;
      } catch (err) {
        return err?.message ?? String(err);
      }
    },
    async setup({ url }) {
      const { lib, common, core } = await load();
      const { RedisCacheModule, ReadThrough } = lib;
      const { Injectable, Module } = common;
      const { NestFactory } = core;

      const counters = { misses: 0 };

      class ItemService {
        async get(id) {
          counters.misses++;
          return makeValue(id);
        }
      }
      Injectable()(ItemService);
      const descriptor = Object.getOwnPropertyDescriptor(ItemService.prototype, 'get');
      const decorated = ReadThrough('item:{0}', '10m')(ItemService.prototype, 'get', descriptor);
      Object.defineProperty(ItemService.prototype, 'get', decorated ?? descriptor);

      class AppModule {}
      Module({
        imports: [RedisCacheModule.forRoot({ url, prefix, ttl: '10m', ...moduleOptions })],
        providers: [ItemService],
      })(AppModule);

      const app = await NestFactory.createApplicationContext(AppModule, { logger: false });
      const service = app.get(ItemService);
      // A variant's own set-up on the booted app (e.g. subscribing to events$); returns a teardown or nothing.
      const teardown = onApp?.(app, lib);
      return {
        get: (id) => service.get(id),
        misses: () => counters.misses,
        async close() {
          teardown?.();
          await app.close();
        },
      };
    },
  };
}

export default readThroughContender({
  id: 'readthrough',
  name: 'nestjs-readthrough',
  order: 10,
  prefix: 'bench',
});
