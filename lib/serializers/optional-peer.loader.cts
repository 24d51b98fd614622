/**
 * Loads an optional peer dependency synchronously (a serializer's constructor cannot await an
 * `import()`), resolved from this package's own location as a dependency of it would be.
 *
 * This file is CommonJS in both builds (`.cts` compiles to `.cjs`): `require` is what makes a
 * synchronous load possible, and the ESM build imports it like any other CommonJS module. Only
 * the first `new MsgpackSerializer()` pays for it; importing the package loads nothing optional.
 *
 * @internal
 */
export function loadOptionalPeer(id: string): unknown {
  return require(id);
}
