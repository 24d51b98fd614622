// Lint configuration (flat config): typescript-eslint's recommended rules over the library, its
// tests, the sample and the benchmarks; formatting is left to Prettier (eslint-config-prettier).
import js from '@eslint/js';
import prettier from 'eslint-config-prettier';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      'test/e2e/zz-*',
      'dist/**',
      'coverage/**',
      '**/node_modules/**',
      'sample/dist/**',
      'test/consumers/**/dist/**',
      'bench/results/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts', '**/*.mts', '**/*.cts'],
    rules: {
      // Unused names are a type-check error already (noUnusedLocals / noUnusedParameters).
      '@typescript-eslint/no-unused-vars': 'off',
      '@typescript-eslint/no-explicit-any': 'error',
      // Not consistent-type-imports: with emitDecoratorMetadata, a class imported for a constructor
      // parameter's type is a runtime value Nest injects by (its --fix breaks DI).
      eqeqeq: ['error', 'always', { null: 'ignore' }],
      'no-console': 'error',
    },
  },
  {
    // Generic defaults of the decorator are `any` on purpose: with `unknown[]`, an untyped
    // `@ReadThrough()` would reject every method whose parameters are typed (parameters are
    // contravariant).
    files: ['lib/decorators/read-through.decorator.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    // The CommonJS loader of optional peers: `require` is what it is for (both builds share it).
    files: ['lib/serializers/optional-peer.loader.cts'],
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    // Tests, benchmarks and fixtures may print and may use loose types at the edges they probe.
    files: ['test/**', 'bench/**', 'sample/**'],
    rules: { 'no-console': 'off', '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    files: ['**/*.mjs', '**/*.cjs', '**/*.js'],
    // Plain JavaScript has no type check to find unused names: the lint rule does it here.
    rules: { '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', caughtErrors: 'none' }] },
    languageOptions: {
      globals: {
        process: 'readonly',
        console: 'readonly',
        Buffer: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        setImmediate: 'readonly',
        performance: 'readonly',
        URL: 'readonly',
        fetch: 'readonly',
      },
    },
  },
  prettier,
);
