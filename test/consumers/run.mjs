#!/usr/bin/env node
// Consumer fixtures: packs this repository with `npm pack` (its prepack builds dist/) and
// installs the tarball into copies of the projects next to this file, then runs each one's own
// checks. `node test/consumers/run.mjs [name ...]` runs the named fixtures only;
// `--prefetch` only installs the fixtures' own dependencies (no tarball, no checks), which
// .ci/run does in the background while the main suite runs.
//
// - nest11-cjs: a Nest 11 CommonJS app as `nest new` makes it, with a terminus 11 /health; tsc,
//   then its Jest e2e test on the memory store with redis@6, then again on a real Redis with redis@5.
// - nest12-esm: a Nest 12 ESM app on Express and on Fastify, on a real Redis with redis@6.
// - types: a CommonJS and an ESM file importing the package, /testing and /terminus, type-checked under
//   node16, nodenext, commonjs + node10 and bundler with TypeScript 5.4 and 5.9; each run must
//   read the declarations of the build its module system loads.
//
// Copies live in CONSUMERS_WORK_DIR (default: <tmpdir>/nestjs-readthrough-consumers), outside
// the repository so that nothing resolves from its node_modules; their node_modules are kept
// between runs, so a rerun installs only what changed. The Redis is a redis-server started on
// a free port (REDIS_URL points at an existing one instead).
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '../..');
const work = resolve(process.env.CONSUMERS_WORK_DIR ?? join(tmpdir(), 'nestjs-readthrough-consumers'));
const INSTALL_FLAGS = ['--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'];

/** Runs a command, streaming its output; throws when it fails. */
function run(command, args, options = {}) {
  const label = `${command} ${args.join(' ')}`;
  const started = Date.now();
  const result = spawnSync(command, args, {
    stdio: options.capture ? 'pipe' : 'inherit',
    encoding: 'utf8',
    ...options,
  });
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  if (result.status !== 0) {
    if (options.capture) process.stdout.write(`${result.stdout}${result.stderr}`);
    throw new Error(`failed (exit ${result.status ?? result.signal}, ${seconds}s): ${label} in ${options.cwd ?? root}`);
  }
  console.log(`  ok ${seconds}s  ${label}`);
  return result.stdout;
}

/** Runs a command without blocking, for the installs that run side by side. */
function runAsync(command, args, options) {
  const started = Date.now();
  return new Promise((done, fail) => {
    const child = spawn(command, args, { stdio: 'inherit', ...options });
    child.once('error', fail);
    child.once('exit', (code) => {
      const seconds = ((Date.now() - started) / 1000).toFixed(1);
      if (code === 0) {
        console.log(`  ok ${seconds}s  ${command} ${args.join(' ')} in ${options.cwd}`);
        done();
      } else fail(new Error(`failed (exit ${code}, ${seconds}s): ${command} ${args.join(' ')} in ${options.cwd}`));
    });
  });
}

/**
 * Copies fixture `name` into the work directory (keeping node_modules) and installs its
 * dependencies there, plus `tarball` when given.
 */
async function prepare(name, tarball) {
  const dir = join(work, name);
  mkdirSync(dir, { recursive: true });
  // Start from the committed sources; node_modules stays as an install cache. The lock file
  // goes too, so that the freshly packed tarball is always the one installed.
  for (const entry of readdirSync(dir))
    if (entry !== 'node_modules') rmSync(join(dir, entry), { recursive: true, force: true });
  rmSync(join(dir, 'node_modules', 'nestjs-readthrough'), { recursive: true, force: true });
  cpSync(join(here, name), dir, { recursive: true, filter: (source) => !/[\\/](node_modules|dist)$/.test(source) });
  if (tarball) {
    const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
    manifest.dependencies = { ...manifest.dependencies, 'nestjs-readthrough': `file:${tarball}` };
    writeFileSync(join(dir, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  }
  await runAsync('npm', ['install', ...INSTALL_FLAGS], { cwd: dir });
  return dir;
}

function installedVersion(dir, pkg) {
  return JSON.parse(readFileSync(join(dir, 'node_modules', pkg, 'package.json'), 'utf8')).version;
}

const fixtures = {
  'nest11-cjs': (dir, redisUrl) => {
    const bin = (name) => join(dir, 'node_modules', '.bin', name);
    run(bin('tsc'), ['-p', 'tsconfig.json', '--noEmit'], { cwd: dir });
    console.log(
      `  @nestjs/core ${installedVersion(dir, '@nestjs/core')}, redis ${installedVersion(dir, 'redis')}, memory store`,
    );
    run(bin('jest'), ['--config', './test/jest-e2e.json'], { cwd: dir });
    // The same app and test on redis@5 against a real Redis: both majors of the redis peer range.
    run('npm', ['install', '--no-save', 'redis@5', ...INSTALL_FLAGS], { cwd: dir });
    const redis = installedVersion(dir, 'redis');
    if (!redis.startsWith('5.')) throw new Error(`expected redis@5 in ${dir}, found ${redis}`);
    console.log(`  redis ${redis}, REDIS_URL=${redisUrl}`);
    run(bin('jest'), ['--config', './test/jest-e2e.json'], { cwd: dir, env: { ...process.env, REDIS_URL: redisUrl } });
  },
  'nest12-esm': (dir, redisUrl) => {
    run(join(dir, 'node_modules', '.bin', 'tsc'), ['-p', 'tsconfig.json'], { cwd: dir });
    console.log(`  @nestjs/core ${installedVersion(dir, '@nestjs/core')}, redis ${installedVersion(dir, 'redis')}`);
    run(process.execPath, ['dist/check.js'], { cwd: dir, env: { ...process.env, REDIS_URL: redisUrl } });
  },
  types: (dir) => {
    const cjs = ['dist/cjs/index.d.ts', 'dist/cjs/testing/index.d.ts', 'dist/cjs/health/index.d.ts'];
    const esm = ['dist/esm/index.d.ts', 'dist/esm/testing/index.d.ts', 'dist/esm/health/index.d.ts'];
    // Which declarations each setup must read: the CommonJS file gets the require build, the
    // ESM file (and bundler resolution, which follows `import`) the import build. TypeScript
    // 5.4 runs nodenext, where compilers before 5.8 failed (TS1479); each run costs ~10 s.
    const setups = { node16: [...cjs, ...esm], nodenext: [...cjs, ...esm], node10: cjs, bundler: esm };
    const runs = { 'typescript-5.4': ['nodenext'], typescript: Object.keys(setups) };
    for (const [typescript, names] of Object.entries(runs)) {
      console.log(`  TypeScript ${installedVersion(dir, typescript)}`);
      for (const setup of names) {
        const expected = setups[setup];
        const tsc = join(dir, 'node_modules', typescript, 'bin', 'tsc');
        const listed = run(process.execPath, [tsc, '-p', `tsconfig.${setup}.json`, '--listFiles'], {
          cwd: dir,
          capture: true,
        });
        const read = listed.split('\n').filter((file) => file.includes('node_modules/nestjs-readthrough/dist/'));
        for (const file of [...cjs, ...esm]) {
          const wasRead = read.some((line) => line.endsWith(`nestjs-readthrough/${file}`));
          if (wasRead !== expected.includes(file)) {
            throw new Error(`${typescript} ${setup}: ${file} ${wasRead ? 'was read but must not be' : 'was not read'}`);
          }
        }
      }
    }
  },
};

async function freePort() {
  const server = createServer();
  await new Promise((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address();
  await new Promise((done) => server.close(done));
  return port;
}

async function answersPing(port) {
  return new Promise((done) => {
    const socket = connect(port, '127.0.0.1', () => socket.write('PING\r\n'));
    socket.once('data', (data) => {
      socket.destroy();
      done(data.toString().startsWith('+PONG'));
    });
    socket.once('error', () => done(false));
  });
}

/** A private redis-server on a free port, or REDIS_URL when it is set. */
async function startRedis() {
  if (process.env.REDIS_URL) return { url: process.env.REDIS_URL, stop: () => {} };
  const port = await freePort();
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    { stdio: 'ignore' },
  );
  for (let attempt = 0; attempt < 100 && !(await answersPing(port)); attempt++) await sleep(50);
  if (!(await answersPing(port))) throw new Error(`redis-server on port ${port} did not answer PING`);
  return { url: `redis://127.0.0.1:${port}`, stop: () => child.kill('SIGTERM') };
}

const args = process.argv.slice(2);
const prefetch = args.includes('--prefetch');
const requested = args.filter((arg) => arg !== '--prefetch');
const names = requested.length > 0 ? requested : Object.keys(fixtures);
for (const name of names)
  if (!fixtures[name]) throw new Error(`unknown fixture ${name}; known: ${Object.keys(fixtures).join(', ')}`);

mkdirSync(work, { recursive: true });
const started = Date.now();
if (prefetch) {
  await Promise.all(names.map((fixture) => prepare(fixture, undefined)));
  console.log(
    `consumers: dependencies of ${names.join(', ')} installed in ${((Date.now() - started) / 1000).toFixed(0)}s`,
  );
  process.exit(0);
}
console.log(`consumers: packing ${root} into ${work}`);
const { name, version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const tarball = join(work, `${name}-${version}.tgz`);
rmSync(tarball, { force: true });
// .ci/run has just built dist/ (npm test does): CONSUMERS_USE_BUILT_DIST=1 skips the prepack
// rebuild. Everyone else packs exactly as `npm publish` would.
const packFlags = process.env.CONSUMERS_USE_BUILT_DIST === '1' ? ['--ignore-scripts'] : [];
run('npm', ['pack', '--pack-destination', work, '--loglevel=error', ...packFlags], { cwd: root, capture: true });
if (!existsSync(tarball)) throw new Error(`npm pack did not write ${tarball}`);
// Installs wait on the network more than on the CPU, so they run side by side; the checks,
// which are CPU-bound, one after the other.
console.log(`consumers: installing ${names.join(', ')}`);
const dirs = await Promise.all(names.map((fixture) => prepare(fixture, tarball)));
const redis = await startRedis();
try {
  for (const [index, fixture] of names.entries()) {
    console.log(`consumers: ${fixture}`);
    fixtures[fixture](dirs[index], redis.url);
  }
} finally {
  redis.stop();
}
console.log(`consumers: ${names.join(', ')} passed in ${((Date.now() - started) / 1000).toFixed(0)}s`);
