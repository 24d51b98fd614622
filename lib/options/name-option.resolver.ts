import { describe, fail } from './option-checks.util.js';
import { LIMITS } from './redis-cache-options.defaults.js';

// No `:`: it separates `<prefix>:<namespace>:<key>`, so a prefix or namespace holding one could
// read another's keys (namespace `eu` + key `default:price`) or fall under another's clear().
const NAME_PATTERN = /^[\w.{}/-]+$/;

/** Validates a prefix or namespace. */
export function resolveName(field: string, value: unknown): string {
  if (typeof value !== 'string' || value.length === 0) {
    fail(field, `expected a non-empty string, got ${describe(value)}`, `set ${field} to a short name such as 'shop'`);
  }
  if (value.length > LIMITS.maxNameLength || !NAME_PATTERN.test(value)) {
    fail(
      field,
      `${JSON.stringify(value)} is not a valid name`,
      `use at most ${LIMITS.maxNameLength} letters, digits or . _ - { } / and no ":" (it separates the parts of every key), e.g. 'shop-eu'`,
    );
  }
  if (value.startsWith('__')) {
    fail(
      field,
      `${JSON.stringify(value)} starts with "__", which is reserved for the library's own keys (locks)`,
      `choose a name that does not start with "__"`,
    );
  }
  return value;
}
