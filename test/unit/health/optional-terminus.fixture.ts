import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const repo = fileURLToPath(new URL('../../../', import.meta.url));

/** The files of `dir`, recursively. */
export function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? walk(join(dir, entry.name)) : [join(dir, entry.name)],
  );
}

/** The first package transpiled in this test file, copied for the next ones. */
let transpiled: string | undefined;

/**
 * lib/ transpiled (no type check) the way the two builds lay it out, `dist/esm/` and
 * `dist/cjs/` (`.cts` to CommonJS `.cjs` in both), with the repository's own `exports` map.
 */
function transpileLib(packageDir: string): void {
  if (transpiled !== undefined) {
    cpSync(transpiled, packageDir, { recursive: true });
    return;
  }
  const libDir = join(repo, 'lib');
  const builds = { esm: ts.ModuleKind.ESNext, cjs: ts.ModuleKind.CommonJS } as const;
  for (const [build, moduleKind] of Object.entries(builds)) {
    const outDir = join(packageDir, 'dist', build);
    for (const file of walk(libDir).filter((name) => /\.c?ts$/.test(name))) {
      const commonJs = file.endsWith('.cts');
      const { outputText } = ts.transpileModule(readFileSync(file, 'utf8'), {
        fileName: file,
        compilerOptions: {
          module: commonJs ? ts.ModuleKind.CommonJS : moduleKind,
          target: ts.ScriptTarget.ES2022,
          esModuleInterop: true,
          experimentalDecorators: true,
          emitDecoratorMetadata: true,
          useDefineForClassFields: false,
        },
      });
      const target = join(outDir, relative(libDir, file))
        .replace(/\.cts$/, '.cjs')
        .replace(/\.ts$/, '.js');
      mkdirSync(dirname(target), { recursive: true });
      writeFileSync(target, outputText);
    }
    writeFileSync(join(outDir, 'package.json'), JSON.stringify({ type: build === 'esm' ? 'module' : 'commonjs' }));
  }
  cpSync(join(repo, 'package.json'), join(packageDir, 'package.json'));
  transpiled = packageDir;
}

/** Links every package of the repository's node_modules into `target`, except `omit` ('@scope/name' or 'name'). */
function linkDependencies(target: string, omit: ReadonlySet<string>): void {
  const source = join(repo, 'node_modules');
  for (const entry of readdirSync(source)) {
    if (entry.startsWith('.') || omit.has(entry)) continue;
    if (!entry.startsWith('@')) {
      symlinkSync(join(source, entry), join(target, entry));
      continue;
    }
    mkdirSync(join(target, entry), { recursive: true });
    for (const name of readdirSync(join(source, entry))) {
      if (!omit.has(`${entry}/${name}`)) symlinkSync(join(source, entry, name), join(target, entry, name));
    }
  }
}

/** How one `node -e` run ended. */
export interface NodeRun {
  status: number | null;
  stdout: string;
  stderr: string;
}

/**
 * An application directory outside the repository with `nestjs-readthrough` installed in its
 * node_modules (lib/ transpiled) next to the repository's dependencies, `@nestjs/terminus`
 * included or not: nothing in it can resolve a package that is left out.
 */
export class ConsumerDir {
  private constructor(readonly dir: string) {}

  /** `alsoOmit`: more packages to leave out (e.g. `'@opentelemetry/api'`). */
  static create(withTerminus: boolean, alsoOmit: readonly string[] = []): ConsumerDir {
    const dir = mkdtempSync(join(tmpdir(), 'readthrough-consumer-'));
    const modules = join(dir, 'node_modules');
    mkdirSync(join(modules, 'nestjs-readthrough'), { recursive: true });
    transpileLib(join(modules, 'nestjs-readthrough'));
    linkDependencies(
      modules,
      new Set(['nestjs-readthrough', ...(withTerminus ? [] : ['@nestjs/terminus']), ...alsoOmit]),
    );
    return new ConsumerDir(dir);
  }

  /** Runs `script` with node in this directory: as an ES module, or as CommonJS. */
  run(kind: 'esm' | 'cjs', script: string): NodeRun {
    const args = kind === 'esm' ? ['--input-type=module', '-e', script] : ['--input-type=commonjs', '-e', script];
    const result = spawnSync(process.execPath, args, { cwd: this.dir, encoding: 'utf8', timeout: 30_000 });
    return { status: result.status, stdout: result.stdout, stderr: result.stderr };
  }

  dispose(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}
