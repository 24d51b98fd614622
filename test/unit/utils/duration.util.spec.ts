import fc from 'fast-check';
import { hours, minutes, seconds, toMilliseconds } from '../../../lib/utils/duration.util.js';

describe('toMilliseconds', () => {
  it.each<[unknown, number]>([
    [0, 0],
    [1500, 1500],
    [0.5, 1],
    [1500.4, 1500],
    ['250ms', 250],
    ['30s', 30_000],
    ['5m', 300_000],
    ['1h', 3_600_000],
    ['1d', 86_400_000],
    ['1.5s', 1_500],
    ['0.25m', 15_000],
    ['0ms', 0],
    [' 2s ', 2_000],
  ])('reads %p as %p ms', (input, ms) => {
    expect(toMilliseconds(input)).toBe(ms);
  });

  it('rounds fractional text durations to whole milliseconds', () => {
    expect(toMilliseconds('1.0004s')).toBe(1_000);
    expect(toMilliseconds('1.0006s')).toBe(1_001);
  });

  it.each<[unknown]>([
    [-1],
    [NaN],
    [Infinity],
    [-Infinity],
    ['5 parsecs'],
    ['5'],
    [''],
    ['ms'],
    ['-5s'],
    ['5S'],
    ['5 s'],
    ['1e3ms'],
    ['.5s'],
    ['5s5'],
    ['1w'],
    [null],
    [undefined],
    [true],
    [{}],
    [[5]],
    [5n],
  ])('refuses %p', (input) => {
    expect(toMilliseconds(input)).toBeUndefined();
  });

  it('property: "<n><unit>" equals n times the unit', () => {
    const units = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
    fc.assert(
      fc.property(
        fc.nat({ max: 100_000 }),
        fc.constantFrom(...(Object.keys(units) as (keyof typeof units)[])),
        (n, unit) => {
          expect(toMilliseconds(`${n}${unit}`)).toBe(n * units[unit]);
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe('seconds / minutes / hours', () => {
  it('convert to milliseconds', () => {
    expect(seconds(30)).toBe(30_000);
    expect(minutes(10)).toBe(600_000);
    expect(hours(1)).toBe(3_600_000);
    expect(seconds(0.5)).toBe(500);
    expect(seconds(0)).toBe(0);
  });

  it('agree with the text durations and with each other', () => {
    fc.assert(
      fc.property(fc.nat({ max: 10_000 }), (n) => {
        expect(seconds(n)).toBe(toMilliseconds(`${n}s`));
        expect(minutes(n)).toBe(toMilliseconds(`${n}m`));
        expect(hours(n)).toBe(toMilliseconds(`${n}h`));
        expect(minutes(n)).toBe(seconds(60 * n));
        expect(hours(n)).toBe(minutes(60 * n));
      }),
      { numRuns: 500 },
    );
  });
});
