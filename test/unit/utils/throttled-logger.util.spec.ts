import { jest } from '@jest/globals';
import type { Logger } from '@nestjs/common';
import { ThrottledLogger } from '../../../lib/utils/throttled-logger.util.js';

describe('ThrottledLogger', () => {
  let now: number;
  let warn: jest.Mock<(message: string) => void>;
  let logger: Logger;

  beforeEach(() => {
    now = 1_000_000;
    jest.spyOn(Date, 'now').mockImplementation(() => now);
    warn = jest.fn<(message: string) => void>();
    logger = { warn } as unknown as Logger;
  });

  afterEach(() => jest.restoreAllMocks());

  it('writes the first message of a key', () => {
    new ThrottledLogger(logger).warn('redis-down', 'Redis is down');
    expect(warn.mock.calls).toEqual([['Redis is down']]);
  });

  it('suppresses the same key within the interval and reports the count on the next write', () => {
    const throttled = new ThrottledLogger(logger, 1_000);
    throttled.warn('redis-down', 'first');
    now += 1;
    throttled.warn('redis-down', 'second');
    now += 998; // 999 ms after the first write: still inside the interval
    throttled.warn('redis-down', 'third');
    expect(warn.mock.calls).toEqual([['first']]);
    now += 1; // exactly 1,000 ms: the interval is over
    throttled.warn('redis-down', 'fourth');
    expect(warn.mock.calls).toEqual([['first'], ['fourth (2 similar messages suppressed)']]);
  });

  it('starts counting again after each write', () => {
    const throttled = new ThrottledLogger(logger, 1_000);
    throttled.warn('k', 'a');
    now += 10;
    throttled.warn('k', 'suppressed');
    now += 1_000;
    throttled.warn('k', 'b');
    now += 1_000;
    throttled.warn('k', 'c');
    expect(warn.mock.calls).toEqual([['a'], ['b (1 similar messages suppressed)'], ['c']]);
  });

  it('throttles each key on its own', () => {
    const throttled = new ThrottledLogger(logger, 1_000);
    throttled.warn('read', 'read failed');
    throttled.warn('write', 'write failed');
    throttled.warn('read', 'read failed again');
    expect(warn.mock.calls).toEqual([['read failed'], ['write failed']]);
  });

  it('honours a custom interval', () => {
    const throttled = new ThrottledLogger(logger, 50);
    throttled.warn('k', 'a');
    now += 49;
    throttled.warn('k', 'b');
    now += 1;
    throttled.warn('k', 'c');
    expect(warn.mock.calls).toEqual([['a'], ['c (1 similar messages suppressed)']]);
  });

  it('writes at most one line per interval under a flood, and counts every suppressed one', () => {
    const throttled = new ThrottledLogger(logger, 1_000);
    for (let i = 0; i < 10_000; i++) {
      throttled.warn('flood', `message ${i}`);
      now += 1; // 10,000 messages over 10 seconds
    }
    expect(warn).toHaveBeenCalledTimes(10);
    expect(warn.mock.calls[0]).toEqual(['message 0']);
    for (let line = 1; line < 10; line++) {
      expect(warn.mock.calls[line]).toEqual([`message ${line * 1_000} (999 similar messages suppressed)`]);
    }
  });
});
