// nestjs-readthrough: a Nest application context with RedisCacheModule.forRoot(...) and a provider
// whose method carries @ReadThrough('item:{0}', '10m'), applied by hand (bench/ is plain JS).
//
// `nestjs-readthrough` is installed as "file:..", i.e. a symlink to the repository root, so its
// dist/ resolves @nestjs/common and @nestjs/core from the ROOT node_modules, not bench's. Nest
// identifies injectable framework classes (ModuleRef, Reflector, ...) by class identity, so this
// contender builds its app with the very @nestjs/* copies the library itself resolves.
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { KEY_COUNT, makeValue, sameValue } from '../lib/workload.mjs';

const NAME = 'nestjs-readthrough';

/**
 * Imports `nestjs-readthrough` and the @nestjs/* copies it resolves.
 * Throws (with the original cause) when the library is not built or cannot be loaded.
 */
async function load() {
  const lib = await import('nestjs-readthrough');
  const libUrl = import.meta.resolve('nestjs-readthrough');
  const requireFromLib = createRequire(libUrl);
  const fromLib = (spec) => import(pathToFileURL(requireFromLib.resolve(spec)).href);
  const [common, core] = await Promise.all([fromLib('@nestjs/common'), fromLib('@nestjs/core')]);
  return { lib, common, core, libUrl, nestCorePath: requireFromLib.resolve('@nestjs/core') };
}

export const nestjsReadthrough = {
  name: NAME,
  note: "@ReadThrough('item:{0}', '10m') on a provider method, RedisCacheModule.forRoot({ url, prefix: 'bench', ttl: '10m' })",
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
      imports: [RedisCacheModule.forRoot({ url, prefix: 'bench', ttl: '10m' })],
      providers: [ItemService],
    })(AppModule);

    const app = await NestFactory.createApplicationContext(AppModule, { logger: false });
    try {
      const service = app.get(ItemService);
      for (let id = 0; id < KEY_COUNT; id++) await service.get(id);
      const warmMisses = counters.misses;
      if (!sameValue(await service.get(42), makeValue(42))) throw new Error(`${NAME}: round trip changed the value`);
      if (counters.misses !== warmMisses) {
        throw new Error(`${NAME}: a second read of a warm key ran the method again (is the read-through wired?)`);
      }
      return {
        get: (id) => service.get(id),
        misses: () => counters.misses - warmMisses,
        async close() {
          await app.close();
        },
      };
    } catch (err) {
      await app.close();
      throw err;
    }
  },
};
