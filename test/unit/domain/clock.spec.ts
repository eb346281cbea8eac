import fc from 'fast-check';
import { MAX_CLOCK_SKEW_MS, isInTheFuture } from '../../../src/domain/clock';

describe('isInTheFuture: a stated time may run at most 5 minutes ahead of our clock', () => {
  const now = Date.parse('2022-03-30T12:00:00Z');

  it('allows the past, now, and up to the skew ahead; refuses beyond it', () => {
    expect(isInTheFuture('2022-03-29T17:00:00+03:00', now)).toBe(false);
    expect(isInTheFuture('2022-03-30T12:00:00Z', now)).toBe(false);
    expect(isInTheFuture('2022-03-30T12:05:00Z', now)).toBe(false);
    expect(isInTheFuture('2022-03-30T12:05:00.001Z', now)).toBe(true);
    // The same instant written in another zone is the same instant.
    expect(isInTheFuture('2022-03-30T15:05:00.001+03:00', now)).toBe(true);
  });

  it('agrees with the instant arithmetic for any offset (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: -10 * MAX_CLOCK_SKEW_MS, max: 10 * MAX_CLOCK_SKEW_MS }), (offset) => {
        expect(isInTheFuture(new Date(now + offset).toISOString(), now)).toBe(offset > MAX_CLOCK_SKEW_MS);
      }),
    );
  });
});
