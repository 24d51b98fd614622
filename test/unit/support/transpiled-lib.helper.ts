import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

/**
 * lib/ transpiled (no type check) into a temporary ESM directory, for the few checks that
 * must run in a plain node process rather than in jest's vm sandbox: one realm for node:v8
 * values, and the real `process` for 'unhandledRejection' (jest-circus owns those listeners).
 */
export class TranspiledLib {
  private constructor(readonly dir: string) {}

  static create(): TranspiledLib {
    const libDir = fileURLToPath(new URL('../../../lib/', import.meta.url));
    const outDir = mkdtempSync(join(tmpdir(), 'readthrough-lib-'));
    const walk = (dir: string): string[] =>
      readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
        entry.isDirectory() ? walk(join(dir, entry.name)) : entry.name.endsWith('.ts') ? [join(dir, entry.name)] : [],
      );
    for (const file of walk(libDir)) {
      const { outputText } = ts.transpileModule(readFileSync(file, 'utf8'), {
        compilerOptions: {
          module: ts.ModuleKind.ESNext,
          target: ts.ScriptTarget.ES2022,
          experimentalDecorators: true,
          useDefineForClassFields: false,
        },
      });
      const target = join(outDir, relative(libDir, file)).replace(/\.ts$/, '.js');
      mkdirSync(dirname(target), { recursive: true });
      writeFileSync(target, outputText);
    }
    writeFileSync(join(outDir, 'package.json'), '{"type":"module"}');
    return new TranspiledLib(outDir);
  }

  /** Runs an ESM `script` (imports relative to lib/, e.g. './utils/duration.util.js') and parses its stdout as JSON. */
  runJson<T>(script: string): T {
    const stdout = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
      cwd: this.dir,
      encoding: 'utf8',
    });
    return JSON.parse(stdout) as T;
  }

  dispose(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}
