import fc from 'fast-check';
import { ANY_CELL, ScopeIndex, circleCells, plainMatch, pointCell, reportIndexEntry, scopeIndexEntry } from '../../../src/domain/match-index';
import { haversineKm, type ReportFacts } from '../../../src/domain/matching';
import type { EvidencePlace, Scope, ScopePlace } from '../../../src/domain/types';

// A small world around Ukraine so that random places often fall near each other (and some far).
const NAMES = ['Kyiv', 'kyïv', 'Chernihiv', 'Brovary', 'Kharkiv', 'Irpin', 'Bucha'];
const lat = fc.double({ min: 44, max: 53, noNaN: true });
const lon = fc.double({ min: 22, max: 41, noNaN: true });
const name = fc.constantFrom(...NAMES);
const INDICATORS = ['shelling', 'airstrike', 'Shelling ', 'armed clash'];
const DAY = 86_400_000;
const T0 = Date.parse('2022-03-01T00:00:00Z');
const iso = (ms: number) => new Date(ms).toISOString();

const scopePlace: fc.Arbitrary<ScopePlace> = fc.oneof(
  fc.record({ name }),
  fc.record({ name, lat, lon }),
  fc.record({ name, lat, lon, radiusKm: fc.oneof(fc.double({ min: 0, max: 200, noNaN: true }), fc.constantFrom(0, 25, 5000)) }),
);
const scope: fc.Arbitrary<Scope> = fc
  .record({
    places: fc.array(scopePlace, { minLength: 1, maxLength: 3 }),
    indicators: fc.subarray(INDICATORS, { minLength: 1 }),
    fromDay: fc.integer({ min: 0, max: 40 }),
    length: fc.option(fc.integer({ min: 1, max: 30 }), { nil: undefined }),
    expectation: fc.constantFrom('absence' as const, 'presence' as const),
  })
  .map(({ places, indicators, fromDay, length, expectation }) => ({
    places,
    indicators,
    from: iso(T0 + fromDay * DAY),
    ...(length === undefined ? {} : { until: iso(T0 + (fromDay + length) * DAY) }),
    expectation,
  }));
const reportPlace: fc.Arbitrary<EvidencePlace> = fc.oneof(
  fc.record({ name }),
  fc.record({ name, lat, lon }),
  fc.record({ name, lat, lon, precisionKm: fc.constantFrom(0, 25, 100) }),
);
const report: fc.Arbitrary<ReportFacts> = fc
  .record({
    places: fc.array(reportPlace, { minLength: 0, maxLength: 3 }),
    indicators: fc.subarray(INDICATORS),
    atHour: fc.integer({ min: 0, max: 80 * 24 }),
    window: fc.option(fc.constantFrom(1, 7, 31), { nil: undefined }),
  })
  .map(({ places, indicators, atHour, window }) => ({
    observedAt: iso(T0 + atHour * 3_600_000),
    ...(window === undefined ? {} : { observedUntil: iso(T0 + atHour * 3_600_000 + window * DAY) }),
    places,
    indicators,
  }));

describe('indexed matcher = the plain rule', () => {
  it('on random scopes and reports, the index finds exactly the plain scan matches, in the same order', () => {
    fc.assert(
      fc.property(fc.array(scope, { minLength: 1, maxLength: 40 }), fc.array(report, { minLength: 1, maxLength: 20 }), (scopes, reports) => {
        const items = scopes.map((s, i) => ({ id: i, scope: s }));
        const index = new ScopeIndex(items);
        for (const r of reports) {
          expect(index.match(r).map((m) => [m.item.id, m.match])).toEqual(plainMatch(items, r).map((m) => [m.item.id, m.match]));
        }
      }),
      { numRuns: 300 },
    );
  });

  it('a report near a scope circle\'s edge is in one of its cells (random points within the radius)', () => {
    fc.assert(
      fc.property(lat, lon, fc.double({ min: 0.1, max: 300, noNaN: true }), fc.double({ min: 0, max: 1, noNaN: true }), fc.double({ min: 0, max: 2 * Math.PI, noNaN: true }), (la, lo, r, f, bearing) => {
        // Step f·r km along a bearing (flat approximation), keep only points the rule says are inside.
        const d = f * r;
        const p = { lat: la + (d / 111.19508) * Math.cos(bearing), lon: lo + ((d / 111.19508) * Math.sin(bearing)) / Math.cos((la * Math.PI) / 180) };
        fc.pre(haversineKm({ lat: la, lon: lo }, p) <= r);
        const cells = circleCells(la, lo, r);
        expect(cells.includes(ANY_CELL) || cells.includes(pointCell(p.lat, p.lon))).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('index keys', () => {
  it('files an imprecise place under its cell only, an exact one under its name too', () => {
    expect(reportIndexEntry({ observedAt: '2022-03-30T00:00:00Z', places: [{ name: 'Kyïv', lat: 50.45, lon: 30.52, precisionKm: 25 }] })!.keys).toEqual(['g:100:61']);
    expect(reportIndexEntry({ observedAt: '2022-03-30T00:00:00Z', places: [{ name: 'Kyïv', lat: 50.45, lon: 30.52 }] })!.keys).toEqual(['n:kyiv', 'g:100:61']);
  });

  it('files huge circles, and circles near a pole or the antimeridian, under the catch-all cell', () => {
    expect(circleCells(50, 30, 5000)).toEqual([ANY_CELL]);
    expect(circleCells(89.9, 30, 50)).toEqual([ANY_CELL]);
    expect(circleCells(10, 179.9, 50)).toEqual([ANY_CELL]);
    expect(circleCells(50.45, 30.52, 25).length).toBeLessThanOrEqual(6);
  });

  it('skips what can never match: unparsable dates', () => {
    expect(reportIndexEntry({ observedAt: 'yesterday' })).toBeNull();
    expect(scopeIndexEntry({ places: [{ name: 'Kyiv' }], indicators: ['x'], from: 'soon', expectation: 'absence' })).toBeNull();
  });
});
