import fc from 'fast-check';
import { formatDuration, parseDuration } from '../../src/common/duration.js';

describe('Go duration parsing', () => {
  it.each([
    ['14m', 840_000],
    ['1h30m', 5_400_000],
    ['14m59.5s', 899_500],
    ['900ms', 900],
    ['1.5h', 5_400_000],
    ['.5s', 500],
    ['1500us', 1.5],
    ['0', 0],
    ['-1m', -60_000],
    [840_000, 840_000],
  ])('reads %p as %p ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each(['abc', '14', '', '1 hour', '1d', 'm', '1hr', '15 m', '--1m', '1m1'])('rejects %p', (text) => {
    expect(parseDuration(text)).toBeUndefined();
  });

  it('rejects non-finite numbers', () => {
    expect(parseDuration(Number.NaN)).toBeUndefined();
    expect(parseDuration(Number.POSITIVE_INFINITY)).toBeUndefined();
  });

  it('formats any whole millisecond count so that parsing gives it back', () => {
    fc.assert(
      fc.property(fc.integer({ min: -1e10, max: 1e10 }), (ms) => {
        expect(parseDuration(formatDuration(ms))).toBeCloseTo(ms, 6);
      }),
    );
  });

  it('reads any sum of Go terms as the sum of their values', () => {
    const unit = fc.constantFrom(['h', 3_600_000], ['m', 60_000], ['s', 1_000], ['ms', 1]);
    const term = fc.tuple(fc.integer({ min: 0, max: 10_000 }), unit);
    fc.assert(
      fc.property(fc.array(term, { minLength: 1, maxLength: 4 }), (terms) => {
        const text = terms.map(([amount, [suffix]]) => `${amount}${suffix}`).join('');
        const expected = terms.reduce((sum, [amount, [, ms]]) => sum + amount * (ms as number), 0);
        expect(parseDuration(text)).toBe(expected);
      }),
    );
  });
});
