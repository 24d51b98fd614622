// Loads `nestjs-readthrough` together with the @nestjs/* copies IT resolves.
//
// `nestjs-readthrough` is installed as "file:..", a symlink to the repository root, so its dist/
// resolves @nestjs/common, @nestjs/core (and, through core, @nestjs/platform-express) from the
// ROOT node_modules, not from bench/node_modules. Nest matches framework providers (ModuleRef,
// HttpAdapterHost, Reflector, DiscoveryService...) by class identity, so an app that uses the
// library must be built with those very copies. Same approach as contenders/nestjs-readthrough.mjs.
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/**
 * @returns {Promise<{ lib: any, common: any, core: any, platformExpress: any,
 *   paths: { library: string, nestCore: string, platformExpress: string } }>}
 * Throws (with the original cause) when the library is not built or cannot be loaded.
 */
export async function loadLibraryWithNest() {
  // BENCH_LIBRARY_DIR=<checkout>: that build instead of the bench's `file:..` dependency.
  const libUrl = process.env.BENCH_LIBRARY_DIR
    ? pathToFileURL(join(resolve(process.env.BENCH_LIBRARY_DIR), 'dist', 'esm', 'index.js')).href
    : import.meta.resolve('nestjs-readthrough');
  const lib = await import(libUrl);
  const requireFromLib = createRequire(libUrl);
  const fromLib = (spec) => import(pathToFileURL(requireFromLib.resolve(spec)).href);
  const [common, core, platformExpress] = await Promise.all([
    fromLib('@nestjs/common'),
    fromLib('@nestjs/core'),
    fromLib('@nestjs/platform-express'),
  ]);
  return {
    lib,
    common,
    core,
    platformExpress,
    paths: {
      library: fileURLToPath(libUrl),
      nestCore: requireFromLib.resolve('@nestjs/core'),
      platformExpress: requireFromLib.resolve('@nestjs/platform-express'),
    },
  };
}

/** Version of the package that contains `resolvedFile` (walks up to its package.json). */
export function versionOfResolved(resolvedFile, name) {
  let dir = dirname(resolvedFile);
  for (let i = 0; i < 8; i++) {
    try {
      const json = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
      if (json.name === name) return json.version;
    } catch {
      /* keep walking */
    }
    dir = dirname(dir);
  }
  return 'n/a';
}

/**
 * Applies method decorators to `Class.prototype[name]` the way TypeScript does: the LAST one in
 * the list is the one written closest to the method, so it runs first.
 */
export function decorateMethod(Class, name, decorators) {
  let descriptor = Object.getOwnPropertyDescriptor(Class.prototype, name);
  for (const decorator of [...decorators].reverse()) {
    descriptor = decorator(Class.prototype, name, descriptor) ?? descriptor;
  }
  Object.defineProperty(Class.prototype, name, descriptor);
}
