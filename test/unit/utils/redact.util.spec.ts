import { describeError, redact } from '../../../lib/utils/redact.util.js';

describe('redact', () => {
  it.each([
    ['redis://user:pass@host:6379', 'redis://***@host:6379'],
    ['rediss://:p4ss@cache.internal:6380/0', 'rediss://***@cache.internal:6380/0'],
    ['redis://default@host', 'redis://***@host'],
    ['REDIS://user:pass@host', 'REDIS://***@host'],
    ['connect to redis://a:b@h1 then rediss://c:d@h2 failed', 'connect to redis://***@h1 then rediss://***@h2 failed'],
  ])('removes the credentials of %s', (input, expected) => {
    expect(redact(input)).toBe(expected);
  });

  it.each([['redis://host:6379'], ['rediss://host:6380/2'], ['plain text with an @ sign'], ['']])(
    'leaves %p unchanged',
    (input) => {
      expect(redact(input)).toBe(input);
    },
  );

  it('is idempotent', () => {
    const once = redact('redis://user:pass@host');
    expect(redact(once)).toBe(once);
  });
});

describe('describeError', () => {
  it('gives name and message of an Error, without credentials', () => {
    const error = new TypeError('cannot connect to redis://u:secret@h:6379');
    expect(describeError(error)).toBe('TypeError: cannot connect to redis://***@h:6379');
  });

  it('describes a thrown non-Error, without credentials', () => {
    expect(describeError('redis://u:secret@h failed')).toBe('redis://***@h failed');
    expect(describeError(42)).toBe('42');
  });
});
