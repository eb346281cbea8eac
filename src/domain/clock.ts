/**
 * How far ahead of our clock a stated time (a claim's madeAt, a report's observedAt) may be: a
 * source's clock may run a little fast, but nothing is said or observed in the future.
 */
export const MAX_CLOCK_SKEW_MS = 5 * 60 * 1000;

/** True when `iso` lies more than the allowed skew after `now`. */
export function isInTheFuture(iso: string, now: number): boolean {
  return Date.parse(iso) > now + MAX_CLOCK_SKEW_MS;
}
