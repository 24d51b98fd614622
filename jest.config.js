/**
 * Jest runs in ESM mode because Nest 12 is ESM-only: `npm test` starts node with
 * --experimental-vm-modules, ts-jest compiles with useESM, and `.js` import suffixes in the
 * TypeScript sources are mapped back to the .ts files. The one CommonJS source
 * (lib/serializers/optional-peer.loader.cts, imported as .cjs) is mapped to its .cts file and
 * compiled as CommonJS, as in the builds. Only `*.loader.cjs` is mapped: packages in node_modules
 * (the OpenTelemetry SDK) require their own `.cjs` files.
 * @type {import('jest').Config}
 */
export default {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.spec.ts'],
  // Consumer fixtures run their own test runners (test/consumers/run.mjs).
  testPathIgnorePatterns: ['/node_modules/', '<rootDir>/test/consumers/'],
  moduleFileExtensions: ['ts', 'cts', 'js', 'cjs', 'mjs', 'json', 'node'],
  moduleNameMapper: {
    '^(\\.{1,2}/.*)\\.js$': '$1',
    '^(\\.{1,2}/.*\\.loader)\\.cjs$': '$1.cts',
  },
  transform: {
    '^.+\\.c?ts$': [
      'ts-jest',
      {
        useESM: true,
        tsconfig: 'tsconfig.json',
      },
    ],
  },
  globalSetup: '<rootDir>/test/helpers/global-setup.ts',
  testTimeout: 30000,
  detectOpenHandles: false,
};
