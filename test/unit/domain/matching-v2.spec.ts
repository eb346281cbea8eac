import { matchReportToScope, matchingRuleFor, type ReportFacts } from '../../../src/domain/matching';
import type { Scope } from '../../../src/domain/types';

const KYIV = { lat: 50.4501, lon: 30.5234 };
/** A point due north of Kyiv, `km` away (1° of latitude ≈ 111.195 km on the mean sphere). */
const northOfKyiv = (km: number) => ({ lat: KYIV.lat + km / 111.19508, lon: KYIV.lon });

const scope = (over: Partial<Scope> = {}): Scope => ({
  places: [{ name: 'Kyiv', ...KYIV, radiusKm: 25 }],
  indicators: ['shelling'],
  from: '2022-03-29T00:00:00Z',
  until: '2022-04-05T00:00:00Z',
  expectation: 'absence',
  ...over,
});
const report = (over: Partial<ReportFacts> = {}): ReportFacts => ({
  observedAt: '2022-03-30T00:00:00Z',
  places: [{ name: 'Kyiv' }],
  indicators: ['shelling'],
  ...over,
});

describe('matching v2: time windows (observedUntil)', () => {
  it('a window wholly inside the scope matches; its end may equal until (both exclusive)', () => {
    expect(matchReportToScope(scope(), report({ observedUntil: '2022-03-31T00:00:00Z' }))).not.toBeNull();
    expect(matchReportToScope(scope(), report({ observedAt: '2022-04-04T00:00:00Z', observedUntil: '2022-04-05T00:00:00Z' }))).not.toBeNull();
  });

  it('a window that straddles until does not match (it only might lie in the scope)', () => {
    expect(matchReportToScope(scope(), report({ observedAt: '2022-04-04T00:00:00Z', observedUntil: '2022-04-05T00:00:00.001Z' }))).toBeNull();
  });

  it('a window that straddles from does not match', () => {
    expect(matchReportToScope(scope(), report({ observedAt: '2022-03-28T23:59:59.999Z', observedUntil: '2022-03-30T00:00:00Z' }))).toBeNull();
    expect(matchReportToScope(scope(), report({ observedAt: '2022-03-29T00:00:00Z', observedUntil: '2022-03-30T00:00:00Z' }))).not.toBeNull();
  });

  it('an open-ended scope takes any window that starts at or after from', () => {
    const open = scope({ until: undefined });
    expect(matchReportToScope(open, report({ observedAt: '2030-01-01T00:00:00Z', observedUntil: '2030-02-01T00:00:00Z' }))).not.toBeNull();
  });

  it('an empty or inverted window never matches', () => {
    expect(matchReportToScope(scope(), report({ observedUntil: '2022-03-30T00:00:00Z' }))).toBeNull();
    expect(matchReportToScope(scope(), report({ observedUntil: '2022-03-29T12:00:00Z' }))).toBeNull();
  });
});

describe('matching v2: imprecise places (precisionKm)', () => {
  const at = (km: number, precisionKm?: number) => report({ places: [{ name: 'field', ...northOfKyiv(km), ...(precisionKm === undefined ? {} : { precisionKm }) }] });

  it('distance + precision must be within the radius: at the border it matches, just beyond it does not', () => {
    expect(matchReportToScope(scope(), at(10, 14.9))).toMatchObject({ by: 'distance', place: 'Kyiv' });
    expect(matchReportToScope(scope(), at(10, 15.1))).toBeNull();
    expect(matchReportToScope(scope(), at(0, 25))).toMatchObject({ by: 'distance', distanceKm: 0 });
    expect(matchReportToScope(scope(), at(0, 25.001))).toBeNull();
  });

  it('an area larger than the radius never matches, even at the centre', () => {
    expect(matchReportToScope(scope(), at(0, 100))).toBeNull();
  });

  it('names match only for exact places (precisionKm absent or 0)', () => {
    const named = (precisionKm?: number) =>
      report({ places: [{ name: 'Kyiv', lat: 49, lon: 25, ...(precisionKm === undefined ? {} : { precisionKm }) }] });
    expect(matchReportToScope(scope(), named())).toMatchObject({ by: 'name' });
    expect(matchReportToScope(scope(), named(0))).toMatchObject({ by: 'name' });
    expect(matchReportToScope(scope(), named(25))).toBeNull();
  });

  it('an imprecise place that lies wholly inside matches by distance, not by name', () => {
    const r = report({ places: [{ name: 'Kyiv', ...KYIV, precisionKm: 25 }] });
    expect(matchReportToScope(scope(), r)).toEqual({ place: 'Kyiv', indicator: 'shelling', by: 'distance', distanceKm: 0 });
  });

  it('of several places, the one whose whole area is nearest wins', () => {
    const r = report({ places: [{ name: 'a', ...northOfKyiv(5), precisionKm: 30 }, { name: 'b', ...northOfKyiv(20), precisionKm: 1 }] });
    expect(matchReportToScope(scope(), r)).toMatchObject({ by: 'distance', distanceKm: 20 });
  });
});

describe('matching v2: the rule name', () => {
  it('is matching-v2 only for reports that say how uncertain they are', () => {
    expect(matchingRuleFor(report())).toBe('scope-match-v1');
    expect(matchingRuleFor(report({ observedUntil: '2022-03-31T00:00:00Z' }))).toBe('matching-v2');
    expect(matchingRuleFor(report({ places: [{ name: 'x', lat: 1, lon: 1, precisionKm: 0 }] }))).toBe('matching-v2');
  });

  it('without the new fields v2 gives what v1 gives (the v1 suite runs on the same function)', () => {
    expect(matchReportToScope(scope(), report({ observedAt: '2022-04-04T23:59:59Z' }))).not.toBeNull();
    expect(matchReportToScope(scope(), report({ observedAt: '2022-04-05T00:00:00Z' }))).toBeNull();
  });
});
