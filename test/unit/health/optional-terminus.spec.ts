/**
 * Issue 14: `@nestjs/terminus` is an optional peer. The root entry point (and /testing) never
 * reach it, so an app without terminus loads the package at no cost and with no error; only
 * `nestjs-readthrough/terminus` imports it, and without terminus that import fails naming the
 * package to install. Checked on the sources' import graph and in node processes run from a
 * directory where terminus is, or is not, installed, in both builds (ESM `import`, CJS `require`).
 */
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConsumerDir, walk } from './optional-terminus.fixture.js';

const lib = fileURLToPath(new URL('../../../lib/', import.meta.url));
const IMPORTS = /(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|(?:^|\n)\s*import\s*['"]([^'"]+)['"]/g;

/** Specifiers a source file imports or re-exports (type-only ones too: they are erased, so this over-approximates). */
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
  it.each(['index.ts', 'testing/index.ts'])('%s reaches neither lib/health/ nor @nestjs/terminus', (entry) => {
    const reached = [...graph(join(lib, entry))];
    expect(reached.length).toBeGreaterThan(5);
    expect(reached.filter((file) => file.startsWith(join(lib, 'health')))).toEqual([]);
    expect(reached.filter((file) => specifiers(file).includes('@nestjs/terminus'))).toEqual([]);
  });

  it('only lib/health/ imports @nestjs/terminus, and lib/health/index.ts does reach it', () => {
    const importers = walk(lib).filter((file) => /\.c?ts$/.test(file) && specifiers(file).includes('@nestjs/terminus'));
    expect(importers.length).toBeGreaterThan(0);
    expect(importers.filter((file) => !file.startsWith(join(lib, 'health')))).toEqual([]);
    expect([...graph(join(lib, 'health/index.ts'))].some((file) => importers.includes(file))).toBe(true);
  });
});

// Prints what the package exports, or the error's code and message.
const ESM_PROBE = (specifier: string): string => `
  import 'reflect-metadata';
  try { const m = await import('${specifier}'); console.log(JSON.stringify({ ok: Object.keys(m).sort() })); }
  catch (e) { console.log(JSON.stringify({ code: e.code, message: e.message })); }`;
const CJS_PROBE = (specifier: string): string => `
  require('reflect-metadata');
  try { const m = require('${specifier}'); console.log(JSON.stringify({ ok: Object.keys(m).sort() })); }
  catch (e) { console.log(JSON.stringify({ code: e.code, message: e.message })); }`;
const PROBES = { esm: ESM_PROBE, cjs: CJS_PROBE } as const;

interface Outcome {
  ok?: string[];
  code?: string;
  message?: string;
}

function probe(consumer: ConsumerDir, kind: 'esm' | 'cjs', specifier: string): Outcome {
  const run = consumer.run(kind, PROBES[kind](specifier));
  if (run.status !== 0) throw new Error(`node exited ${run.status}: ${run.stderr}`);
  return JSON.parse(run.stdout.trim().split('\n').pop() ?? '') as Outcome;
}

// One application directory of each kind, shared by the ESM and the CommonJS runs.
let without: ConsumerDir;
let withTerminus: ConsumerDir;
beforeAll(() => {
  without = ConsumerDir.create(false);
  withTerminus = ConsumerDir.create(true);
});
afterAll(() => {
  without?.dispose();
  withTerminus?.dispose();
});

describe.each(['esm', 'cjs'] as const)('an app (%s) without @nestjs/terminus installed', (kind) => {
  const consumer = (): ConsumerDir => without;

  it('loads nestjs-readthrough and nestjs-readthrough/testing without error', () => {
    expect(probe(consumer(), kind, '@nestjs/terminus').message).toMatch(/@nestjs\/terminus/); // really absent
    expect(probe(consumer(), kind, 'nestjs-readthrough').ok).toEqual(
      expect.arrayContaining(['RedisCacheModule', 'RedisPoolService', 'ReadThrough']),
    );
    expect(probe(consumer(), kind, 'nestjs-readthrough/testing').ok).toBeDefined();
  });

  it('fails to load nestjs-readthrough/terminus with an error naming @nestjs/terminus', () => {
    const outcome = probe(consumer(), kind, 'nestjs-readthrough/terminus');
    expect(outcome.ok).toBeUndefined();
    expect(outcome.code).toBe(kind === 'esm' ? 'ERR_MODULE_NOT_FOUND' : 'MODULE_NOT_FOUND');
    expect(outcome.message).toContain("'@nestjs/terminus'");
  });
});

describe.each(['esm', 'cjs'] as const)('an app (%s) with @nestjs/terminus installed', (kind) => {
  const consumer = (): ConsumerDir => withTerminus;

  it('loads nestjs-readthrough/terminus: RedisCacheHealthIndicator and nothing else at run time', () => {
    expect(probe(consumer(), kind, 'nestjs-readthrough/terminus').ok).toEqual(['RedisCacheHealthIndicator']);
  });
});
