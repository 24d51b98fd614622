// The three Nest (Express) apps of the HTTP hit benchmark. Each serves GET /item/:id with the
// same 1 KB JSON object (lib/workload.mjs, id 1); only what sits around the handler differs.
//
// bench/ is plain JavaScript, so decorators are applied by hand (lib/library-nest.mjs).
//
// Which @nestjs/* copies: the ceiling and nestjs-readthrough are built with the copies the
// library resolves (the repository root's node_modules, see lib/library-nest.mjs), so the
// ceiling is exactly "the same app without the interceptor". @nestjs/cache-manager lives in
// bench/node_modules and resolves bench's @nestjs/common and @nestjs/core, so its app is built
// with those. Both sets are the same versions (printed in the header of the results).
import { createRequire } from 'node:module';
import { makeValue } from '../lib/workload.mjs';
import { decorateMethod, loadLibraryWithNest, versionOfResolved } from '../lib/library-nest.mjs';

export const ITEM_ID = 1;
export const ITEM_PATH = `/item/${ITEM_ID}`;
export const TTL_MS = 10 * 60 * 1000;
/** The exact bytes every contender must answer with. */
export const EXPECTED_BODY = JSON.stringify(makeValue(ITEM_ID));

const require = createRequire(import.meta.url);

/** @typedef {{ app: any, counters: { handlerRuns: number }, nest: Record<string, string> }} BuiltApp */

export const CONTENDERS = {
  /** The ceiling: no interceptor, the handler returns a constant object. */
  ceiling: {
    label: 'uncached constant handler (ceiling)',
    how: "Nest + Express, `@Get(':id')` handler returning a constant 1 KB object; no interceptor, no cache",
    /** @returns {Promise<BuiltApp>} */
    async build() {
      const { common, core, paths } = await loadLibraryWithNest();
      const { Controller, Get, Module, Param } = common;
      const counters = { handlerRuns: 0 };
      const VALUE = makeValue(ITEM_ID);

      class ItemController {
        get(_id) {
          counters.handlerRuns++;
          return VALUE;
        }
      }
      decorateMethod(ItemController, 'get', [Get(':id')]);
      Param('id')(ItemController.prototype, 'get', 0);
      Controller('item')(ItemController);

      class CeilingModule {}
      Module({ controllers: [ItemController] })(CeilingModule);

      const app = await core.NestFactory.create(CeilingModule, { logger: false });
      return { app, counters, nest: nestVersions(paths.nestCore, paths.platformExpress) };
    },
  },

  /** This library: ReadThroughInterceptor + @ReadThrough on the route, Redis store. */
  readthrough: {
    label: 'nestjs-readthrough',
    how:
      "`@Get(':id')` + `@UseInterceptors(ReadThroughInterceptor)` + `@ReadThrough('item:{params.id}', '10m')`, " +
      "`RedisCacheModule.forRoot({ url, prefix: 'bench-http', ttl: '10m' })`, other options at their defaults " +
      '(X-Cache, Age and ETag headers on; 300 ms operation timeout; circuit breaker on)',
    build: ({ url }) => buildReadThrough(url, { prefix: 'bench-http' }),
  },

  /** The same route with the in-process L1 (`l1: true`): a hit replays the held bytes, no Redis command. */
  readthroughL1: {
    label: 'nestjs-readthrough, l1: true',
    how:
      "the nestjs-readthrough route above with `RedisCacheModule.forRoot({ url, prefix: 'bench-http-l1', ttl: '10m', l1: true })`: " +
      'a hit is answered from the in-process L1 (kept coherent by client tracking), no Redis command',
    build: ({ url }) => buildReadThrough(url, { prefix: 'bench-http-l1', l1: true }),
    /** The L1 serves once client tracking is confirmed: wait for it before warming. */
    async ready(app) {
      const { lib } = await loadLibraryWithNest();
      const cache = app.get(lib.RedisCacheService);
      for (let waited = 0; cache.stats().l1Live !== true; waited += 5) {
        if (waited > 5_000) throw new Error('nestjs-readthrough l1: the L1 is not live after 5 s');
        await new Promise((r) => setTimeout(r, 5));
      }
    },
  },

  /**
   * The floor of any hit answered by an interceptor behind the guards (issue 13): Nest's
   * interceptor pipeline, one promise hop, no key, no lookup, and the constant bytes sent at the
   * Node response's end() (one method patched, five headers). What a cache hit can at best cost
   * on this route; the ceiling's handler and JSON serialization are what it skips.
   */
  floor: {
    label: 'hit floor (interceptor sending constant bytes at end())',
    how:
      "`@Get(':id')` + `@UseInterceptors(FloorInterceptor)`: the interceptor returns `from(Promise.resolve(undefined))` and " +
      "patches the response's `end` to set Content-Type, X-Cache, Age, ETag and Content-Length and send the 1 KB body; no cache, no key",
    async build() {
      const { common, core, paths } = await loadLibraryWithNest();
      const { from } = await import('rxjs');
      const { Controller, Get, Injectable, Module, Param, UseInterceptors } = common;
      const counters = { handlerRuns: 0 };
      const ETAG = 'W/"400-floor"';

      class FloorInterceptor {
        intercept(context) {
          const res = context.switchToHttp().getResponse();
          const end = res.end;
          res.end = function floorEnd() {
            this.setHeader('content-type', 'application/json; charset=utf-8');
            this.setHeader('x-cache', 'HIT');
            this.setHeader('age', '0');
            this.setHeader('etag', ETAG);
            this.setHeader('content-length', String(Buffer.byteLength(EXPECTED_BODY)));
            return end.call(this, EXPECTED_BODY);
          };
          return from(Promise.resolve(undefined));
        }
      }
      Injectable()(FloorInterceptor);

      class FloorItemController {
        async get(_id) {
          counters.handlerRuns++;
          return makeValue(ITEM_ID);
        }
      }
      decorateMethod(FloorItemController, 'get', [Get(':id'), UseInterceptors(FloorInterceptor)]);
      Param('id')(FloorItemController.prototype, 'get', 0);
      Controller('item')(FloorItemController);

      class FloorModule {}
      Module({ controllers: [FloorItemController], providers: [FloorInterceptor] })(FloorModule);

      const app = await core.NestFactory.create(FloorModule, { logger: false });
      return { app, counters, nest: nestVersions(paths.nestCore, paths.platformExpress) };
    },
  },

  /** @nestjs/cache-manager's CacheInterceptor on @keyv/redis. */
  cacheManager: {
    label: '@nestjs/cache-manager CacheInterceptor + @keyv/redis',
    how:
      "`@Get(':id')` + `@UseInterceptors(CacheInterceptor)` + `@CacheTTL(600000)`, " +
      '`CacheModule.register({ stores: [createKeyv(url)] })` (the setup in @keyv/redis\'s "Using with NestJS"); ' +
      'sets X-Cache; @keyv/redis brings its own @redis/client 5.x',
    async build({ url }) {
      const common = await import('@nestjs/common');
      const core = await import('@nestjs/core');
      const { CacheModule, CacheInterceptor, CacheTTL } = await import('@nestjs/cache-manager');
      const { createKeyv } = await import('@keyv/redis');
      const { Controller, Get, Module, Param, UseInterceptors } = common;
      const counters = { handlerRuns: 0 };

      class CmItemController {
        async get(id) {
          counters.handlerRuns++;
          return makeValue(Number(id));
        }
      }
      decorateMethod(CmItemController, 'get', [Get(':id'), UseInterceptors(CacheInterceptor), CacheTTL(TTL_MS)]);
      Param('id')(CmItemController.prototype, 'get', 0);
      Controller('item')(CmItemController);

      class CmModule {}
      Module({
        imports: [CacheModule.register({ stores: [createKeyv(url)] })],
        controllers: [CmItemController],
      })(CmModule);

      const app = await core.NestFactory.create(CmModule, { logger: false });
      return {
        app,
        counters,
        nest: nestVersions(require.resolve('@nestjs/core'), require.resolve('@nestjs/platform-express')),
      };
    },
  },
};

/** The nestjs-readthrough app: ReadThroughInterceptor + @ReadThrough on GET /item/:id, Redis store. */
async function buildReadThrough(url, moduleOptions) {
  const { lib, common, core, paths } = await loadLibraryWithNest();
  const { RedisCacheModule, ReadThrough, ReadThroughInterceptor } = lib;
  const { Controller, Get, Module, Param, UseInterceptors } = common;
  const counters = { handlerRuns: 0 };

  class RtItemController {
    async get(id) {
      counters.handlerRuns++;
      return makeValue(Number(id));
    }
  }
  decorateMethod(RtItemController, 'get', [
    Get(':id'),
    UseInterceptors(ReadThroughInterceptor),
    ReadThrough('item:{params.id}', '10m'),
  ]);
  Param('id')(RtItemController.prototype, 'get', 0);
  Controller('item')(RtItemController);

  class RtModule {}
  Module({
    imports: [RedisCacheModule.forRoot({ url, ttl: '10m', ...moduleOptions })],
    controllers: [RtItemController],
  })(RtModule);

  const app = await core.NestFactory.create(RtModule, { logger: false });
  return { app, counters, nest: nestVersions(paths.nestCore, paths.platformExpress) };
}

function nestVersions(nestCorePath, platformExpressPath) {
  const requireFromPlatform = createRequire(platformExpressPath);
  let express = 'n/a';
  try {
    express = versionOfResolved(requireFromPlatform.resolve('express'), 'express');
  } catch {
    /* leave n/a */
  }
  return {
    '@nestjs/core': `${versionOfResolved(nestCorePath, '@nestjs/core')} (${nestCorePath.includes('/bench/node_modules/') ? 'bench' : 'root'} copy)`,
    '@nestjs/platform-express': versionOfResolved(platformExpressPath, '@nestjs/platform-express'),
    express,
  };
}
