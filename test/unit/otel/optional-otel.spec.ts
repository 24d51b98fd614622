/**
 * Issue 14: `@opentelemetry/api` is an optional peer. The root entry point (and /testing) never
 * reach it, so an app without it loads the package at no cost and with no error; only
 * `nestjs-readthrough/otel` imports it, and without it that import fails naming the package to
 * install. Checked on the sources' import graph and in node processes run from a directory where
 * the API is, or is not, installed, in both builds (ESM `import`, CJS `require`), as for terminus.
 */
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConsumerDir, walk } from '../health/optional-terminus.fixture.js';

const lib = fileURLToPath(new URL('../../../lib/', import.meta.url));
const PEER = '@opentelemetry/api';
const IMPORTS = /(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|(?:^|\n)\s*import\s*['"]([^'"]+)['"]/g;

/** Specifiers a source file imports or re-exports (type-only ones too: an over-approximation). */
function specifiers(file: string): string[] {
  return [...readFileSync(file, 'utf8').matchAll(IMPORTS)].map((match) => match[1] ?? match[2]);
}

/** Every lib/ file reachable from `entry` through relative imports. */
function graph(entry: string): Set<string> {
  const seen = new Set<string>();
  const visit = (file: string): void => {
    if (seen.has(file)) return;
    seen.add(file);
    for (const specifier of specifiers(file).filter((s) => s.startsWith('.'))) {
      visit(
        resolve(dirname(file), specifier)
          .replace(/\.cjs$/, '.cts')
          .replace(/\.js$/, '.ts'),
      );
    }
  };
  visit(entry);
  return seen;
}

describe('the sources', () => {
  it.each(['index.ts', 'testing/index.ts'])(`%s reaches neither lib/otel/ nor ${PEER}`, (entry) => {
    const reached = [...graph(join(lib, entry))];
    expect(reached.length).toBeGreaterThan(5);
    expect(reached.filter((file) => file.startsWith(join(lib, 'otel')))).toEqual([]);
    expect(reached.filter((file) => specifiers(file).some((s) => s.startsWith('@opentelemetry/')))).toEqual([]);
  });

  it(`only lib/otel/ imports ${PEER}, and lib/otel/index.ts does reach it`, () => {
    const importers = walk(lib).filter((file) => /\.c?ts$/.test(file) && specifiers(file).includes(PEER));
    expect(importers.length).toBeGreaterThan(0);
    expect(importers.filter((file) => !file.startsWith(join(lib, 'otel')))).toEqual([]);
    expect([...graph(join(lib, 'otel/index.ts'))].some((file) => importers.includes(file))).toBe(true);
  });
});

const PROBES = {
  esm: (specifier: string): string => `
    import 'reflect-metadata';
    try { const m = await import('${specifier}'); console.log(JSON.stringify({ ok: Object.keys(m).sort() })); }
    catch (e) { console.log(JSON.stringify({ code: e.code, message: e.message })); }`,
  cjs: (specifier: string): string => `
    require('reflect-metadata');
    try { const m = require('${specifier}'); console.log(JSON.stringify({ ok: Object.keys(m).sort() })); }
    catch (e) { console.log(JSON.stringify({ code: e.code, message: e.message })); }`,
} as const;

function probe(
  consumer: ConsumerDir,
  kind: 'esm' | 'cjs',
  specifier: string,
): { ok?: string[]; code?: string; message?: string } {
  const run = consumer.run(kind, PROBES[kind](specifier));
  if (run.status !== 0) throw new Error(`node exited ${run.status}: ${run.stderr}`);
  return JSON.parse(run.stdout.trim().split('\n').pop() ?? '') as { ok?: string[]; code?: string; message?: string };
}

let without: ConsumerDir;
let withApi: ConsumerDir;
beforeAll(() => {
  without = ConsumerDir.create(true, [PEER]);
  withApi = ConsumerDir.create(true);
});
afterAll(() => {
  without?.dispose();
  withApi?.dispose();
});

describe.each(['esm', 'cjs'] as const)(`an app (%s) without ${PEER} installed`, (kind) => {
  it('loads nestjs-readthrough and nestjs-readthrough/testing without error', () => {
    expect(probe(without, kind, PEER).message).toContain(PEER); // really absent
    expect(probe(without, kind, 'nestjs-readthrough').ok).toEqual(
      expect.arrayContaining(['RedisCacheModule', 'RedisCacheService', 'ReadThrough']),
    );
    expect(probe(without, kind, 'nestjs-readthrough/testing').ok).toBeDefined();
  });

  it(`fails to load nestjs-readthrough/otel with an error naming ${PEER}`, () => {
    const outcome = probe(without, kind, 'nestjs-readthrough/otel');
    expect(outcome.ok).toBeUndefined();
    expect(outcome.code).toBe(kind === 'esm' ? 'ERR_MODULE_NOT_FOUND' : 'MODULE_NOT_FOUND');
    expect(outcome.message).toContain(`'${PEER}'`);
  });
});

describe.each(['esm', 'cjs'] as const)(`an app (%s) with ${PEER} installed`, (kind) => {
  it('loads nestjs-readthrough/otel: RedisCacheOpenTelemetry and its options token', () => {
    expect(probe(withApi, kind, 'nestjs-readthrough/otel').ok).toEqual([
      'REDIS_CACHE_OTEL_OPTIONS',
      'RedisCacheOpenTelemetry',
    ]);
  });
});
