import type { CacheEvictKey, CacheEvictOptions } from '../decorators/cache-evict.decorator.js';
import { InvalidRedisCacheOptionsError } from '../errors/invalid-redis-cache-options.error.js';
import { resolveName } from '../options/name-option.resolver.js';
import { resolveBoolean, resolveMissingKeyValue } from '../options/option-checks.util.js';
import type { ResolvedRedisCacheOptions } from '../options/resolved-redis-cache-options.interface.js';
import type { MissingKeyValue } from '../keys/key-template.compiler.js';

/** `@CacheEvict` options, validated at bootstrap; templates are compiled by the caller (method or route). */
export interface ResolvedCacheEvictOptions {
  readonly keys: readonly CacheEvictKey<never[]>[];
  readonly tags: readonly string[];
  readonly namespace: string;
  readonly all: boolean;
  readonly beforeInvocation: boolean;
  readonly missingKeyValue: MissingKeyValue;
}

const KNOWN = new Set(['keys', 'tags', 'namespace', 'all', 'beforeInvocation', 'missingKeyValue']);

/** Validates what `@CacheEvict` recorded; `label` (`BooksService.update`) prefixes the field in errors. */
export function resolveCacheEvictOptions(
  module: ResolvedRedisCacheOptions,
  label: string,
  options: CacheEvictOptions<never[]>,
): ResolvedCacheEvictOptions {
  const field = (name: string): string => `${label}: ${name}`;
  if (typeof options !== 'object' || options === null) {
    throw new InvalidRedisCacheOptionsError(
      field('@CacheEvict'),
      `expected a key, keys or options, got ${typeof options}`,
      "use e.g. @CacheEvict('book:{0.isbn}')",
    );
  }
  const unknown = Object.keys(options).find((name) => !KNOWN.has(name));
  if (unknown !== undefined) {
    throw new InvalidRedisCacheOptionsError(
      field(unknown),
      'not an option of @CacheEvict',
      `use ${[...KNOWN].join(', ')}`,
    );
  }
  const keys = options.keys === undefined ? [] : Array.isArray(options.keys) ? options.keys : [options.keys];
  if (keys.some((key) => (typeof key !== 'string' || key === '') && typeof key !== 'function')) {
    throw new InvalidRedisCacheOptionsError(
      field('keys'),
      'expected key templates or key functions',
      "use e.g. keys: ['book:{0.isbn}', (book) => `shelf:${book.shelf}`]",
    );
  }
  const tags = options.tags ?? [];
  if (!Array.isArray(tags) || tags.some((tag) => typeof tag !== 'string' || tag === '')) {
    throw new InvalidRedisCacheOptionsError(
      field('tags'),
      'expected an array of non-empty tag templates',
      "use e.g. tags: ['author:{0.authorId}']",
    );
  }
  const all = options.all === undefined ? false : resolveBoolean(field('all'), options.all);
  if (keys.length === 0 && tags.length === 0 && !all) {
    throw new InvalidRedisCacheOptionsError(
      field('@CacheEvict'),
      'names nothing to evict (no keys, no tags, all not set)',
      "give it a key ('book:{0}'), tags, or all: true",
    );
  }
  const missing = resolveMissingKeyValue(
    field('missingKeyValue'),
    options.missingKeyValue,
    "use the missingKeyValue of the @ReadThrough whose entries it evicts: 'bypass' (the default) or 'empty'",
  );
  return {
    keys,
    tags,
    namespace: options.namespace === undefined ? module.namespace : resolveName(field('namespace'), options.namespace),
    all,
    beforeInvocation:
      options.beforeInvocation === undefined
        ? false
        : resolveBoolean(field('beforeInvocation'), options.beforeInvocation),
    missingKeyValue: missing ?? 'bypass',
  };
}
