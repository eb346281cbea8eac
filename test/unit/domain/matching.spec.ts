import fc from 'fast-check';
import type { EvidencePlace, Scope, ScopePlace } from '../../../src/domain/types';
import {
  DEFAULT_RADIUS_KM,
  EARTH_RADIUS_KM,
  haversineKm,
  matchReportToScope,
  stanceForExpectation,
  type ReportFacts,
} from '../../../src/domain/matching';

const KYIV = { lat: 50.4501, lon: 30.5234 };
const BROVARY = { lat: 50.511, lon: 30.7909 }; // ~20.1 km from Kyiv
const CHERNIHIV = { lat: 51.4982, lon: 31.2893 }; // ~128 km from Kyiv
const KHARKIV = { lat: 49.9935, lon: 36.2304 };

/** The seed pledge: no shelling/airstrikes on Kyiv and Chernihiv from 29 March 2022, noon UTC. */
const seedScope: Scope = {
  places: [
    { name: 'Kyiv', ...KYIV },
    { name: 'Chernihiv', ...CHERNIHIV },
  ],
  indicators: ['shelling', 'airstrike'],
  from: '2022-03-29T12:00:00Z',
  expectation: 'absence',
};

/** A report in Kyiv (by name) with the indicator 'shelling', at the given instant. */
const at = (observedAt: string): ReportFacts => ({
  observedAt,
  places: [{ name: 'Kyiv' }],
  indicators: ['shelling'],
});

/** A scope with one named place without coordinates and one indicator, for time tests. */
const simple = (from: string, until?: string): Scope => ({
  places: [{ name: 'Kyiv' }],
  indicators: ['shelling'],
  from,
  ...(until === undefined ? {} : { until }),
  expectation: 'absence',
});

describe('time window: from <= observedAt < until', () => {
  it('from is inclusive', () => {
    expect(matchReportToScope(simple('2022-03-29T12:00:00Z'), at('2022-03-29T12:00:00Z'))).not.toBeNull();
  });

  it('a millisecond before from does not match', () => {
    expect(matchReportToScope(simple('2022-03-29T12:00:00Z'), at('2022-03-29T11:59:59.999Z'))).toBeNull();
  });

  it('until is exclusive', () => {
    const scope = simple('2022-03-29T12:00:00Z', '2022-04-01T00:00:00Z');
    expect(matchReportToScope(scope, at('2022-04-01T00:00:00Z'))).toBeNull();
    expect(matchReportToScope(scope, at('2022-03-31T23:59:59.999Z'))).not.toBeNull();
  });

  it('without until the window is open-ended', () => {
    expect(matchReportToScope(simple('2022-03-29T12:00:00Z'), at('2099-01-01T00:00:00Z'))).not.toBeNull();
  });

  it('compares instants, not strings: offsets are honoured on observedAt', () => {
    const scope = simple('2022-03-29T12:00:00Z');
    // 14:30+03:00 is 11:30Z: before from, although the string sorts after it.
    expect(matchReportToScope(scope, at('2022-03-29T14:30:00+03:00'))).toBeNull();
    // 15:00+03:00 is exactly 12:00Z: inclusive.
    expect(matchReportToScope(scope, at('2022-03-29T15:00:00+03:00'))).not.toBeNull();
    // 09:00-04:00 is 13:00Z: after from, although the string sorts before it.
    expect(matchReportToScope(scope, at('2022-03-29T09:00:00-04:00'))).not.toBeNull();
  });

  it('compares instants, not strings: offsets are honoured on from and until', () => {
    // until 2022-04-01T00:00+03:00 is 2022-03-31T21:00Z.
    const scope = simple('2022-03-29T15:00:00+03:00', '2022-04-01T00:00:00+03:00');
    expect(matchReportToScope(scope, at('2022-03-31T22:00:00Z'))).toBeNull();
    expect(matchReportToScope(scope, at('2022-03-31T20:59:59Z'))).not.toBeNull();
    expect(matchReportToScope(scope, at('2022-03-29T12:00:00Z'))).not.toBeNull();
    expect(matchReportToScope(scope, at('2022-03-29T11:59:59Z'))).toBeNull();
  });

  it('an unparsable observedAt never matches', () => {
    expect(matchReportToScope(simple('2022-03-29T12:00:00Z'), at('yesterday'))).toBeNull();
  });
});

describe('indicators: equal case-insensitively after trimming', () => {
  const report = (indicators?: string[]): ReportFacts => ({
    observedAt: '2022-03-30T10:00:00Z',
    places: [{ name: 'Kyiv' }],
    indicators,
  });

  it('matches regardless of case and surrounding whitespace, and names the scope indicator as written', () => {
    const scope: Scope = { ...seedScope, indicators: [' Air Strike', 'Shelling '] };
    expect(matchReportToScope(scope, report(['  SHELLING']))).toMatchObject({ indicator: 'Shelling ' });
    expect(matchReportToScope(scope, report(['air strike']))).toMatchObject({ indicator: ' Air Strike' });
  });

  it('no common indicator: no match', () => {
    expect(matchReportToScope(seedScope, report(['drone']))).toBeNull();
  });

  it('inner differences still differ ("air strike" is not "airstrike")', () => {
    expect(matchReportToScope(seedScope, report(['air strike']))).toBeNull();
  });

  it('no indicators at all: no match', () => {
    expect(matchReportToScope(seedScope, report(undefined))).toBeNull();
    expect(matchReportToScope(seedScope, report([]))).toBeNull();
  });

  it('blank indicators never match each other', () => {
    const scope: Scope = { ...seedScope, indicators: ['  '] };
    expect(matchReportToScope(scope, report(['']))).toBeNull();
  });

  it('with several common indicators the first in scope order is named', () => {
    expect(matchReportToScope(seedScope, report(['airstrike', 'shelling']))).toMatchObject({
      indicator: 'shelling',
    });
  });
});

describe('places by name: case- and accent-insensitive after trimming', () => {
  const report = (...places: EvidencePlace[]): ReportFacts => ({
    observedAt: '2022-03-30T10:00:00Z',
    places,
    indicators: ['shelling'],
  });
  const scopeWith = (...places: ScopePlace[]): Scope => ({ ...seedScope, places });

  it.each([
    ['Chernihiv', ' chernihiv '],
    ['Kyiv', 'Kyïv'],
    ['Kyïv', 'KYIV'],
    ['Černihiv', 'cernihiv'],
    ['Zaporizhzhia', 'ZAPORIZHZHIA\t'],
  ])('%j matches %j', (scopeName, reportName) => {
    expect(matchReportToScope(scopeWith({ name: scopeName }), report({ name: reportName }))).toEqual({
      place: scopeName,
      indicator: 'shelling',
      by: 'name',
    });
  });

  it('a different name without coordinates does not match', () => {
    expect(matchReportToScope(scopeWith({ name: 'Kyiv' }), report({ name: 'Kharkiv' }))).toBeNull();
  });

  it('no report places: no match', () => {
    expect(matchReportToScope(scopeWith({ name: 'Kyiv' }), report())).toBeNull();
    expect(
      matchReportToScope(scopeWith({ name: 'Kyiv' }), { observedAt: '2022-03-30T10:00:00Z', indicators: ['shelling'] }),
    ).toBeNull();
  });

  it('blank names never match each other', () => {
    expect(matchReportToScope(scopeWith({ name: ' ' }), report({ name: '' }))).toBeNull();
  });
});

describe('places by distance', () => {
  const report = (...places: EvidencePlace[]): ReportFacts => ({
    observedAt: '2022-03-30T10:00:00Z',
    places,
    indicators: ['shelling'],
  });
  const kyivScope = (radiusKm?: number): Scope => ({
    ...seedScope,
    places: [{ name: 'Kyiv', ...KYIV, ...(radiusKm === undefined ? {} : { radiusKm }) }],
  });
  /** Due north of Kyiv by `km` along the meridian. */
  const northOfKyiv = (km: number) => ({ lat: KYIV.lat + (km / EARTH_RADIUS_KM) * (180 / Math.PI), lon: KYIV.lon });

  it('Brovary (~20 km) is inside the default 25 km', () => {
    const m = matchReportToScope(kyivScope(), report({ name: 'Brovary', ...BROVARY }));
    expect(m).toMatchObject({ place: 'Kyiv', indicator: 'shelling', by: 'distance' });
    expect(m!.distanceKm).toBeCloseTo(20.1, 1);
  });

  it('the default radius is 25 km: 24.9 km in, 25.1 km out', () => {
    expect(DEFAULT_RADIUS_KM).toBe(25);
    expect(matchReportToScope(kyivScope(), report({ name: 'field', ...northOfKyiv(24.9) }))).not.toBeNull();
    expect(matchReportToScope(kyivScope(), report({ name: 'field', ...northOfKyiv(25.1) }))).toBeNull();
  });

  it('an explicit radiusKm replaces the default', () => {
    expect(matchReportToScope(kyivScope(15), report({ name: 'Brovary', ...BROVARY }))).toBeNull();
    expect(matchReportToScope(kyivScope(21), report({ name: 'Brovary', ...BROVARY }))).not.toBeNull();
    expect(matchReportToScope(kyivScope(40), report({ name: 'field', ...northOfKyiv(39.9) }))).not.toBeNull();
  });

  it('radiusKm 0 matches only the very point', () => {
    expect(matchReportToScope(kyivScope(0), report({ name: 'centre', ...KYIV }))).toMatchObject({
      by: 'distance',
      distanceKm: 0,
    });
    expect(matchReportToScope(kyivScope(0), report({ name: 'field', ...northOfKyiv(0.01) }))).toBeNull();
  });

  it('needs coordinates on both sides', () => {
    expect(matchReportToScope({ ...seedScope, places: [{ name: 'Kyiv' }] }, report({ name: 'B', ...BROVARY }))).toBeNull();
    expect(matchReportToScope(kyivScope(), report({ name: 'Brovary' }))).toBeNull();
    expect(matchReportToScope(kyivScope(), report({ name: 'Brovary', lat: BROVARY.lat }))).toBeNull();
  });

  it('several report places in radius: the nearest distance is reported, in any order', () => {
    const near = { name: 'near', ...northOfKyiv(3) };
    const far = { name: 'far', ...BROVARY };
    const a = matchReportToScope(kyivScope(), report(far, near));
    const b = matchReportToScope(kyivScope(), report(near, far));
    expect(a).toEqual(b);
    expect(a!.distanceKm).toBeCloseTo(3, 3);
  });
});

describe('deterministic choice among several matching pairs', () => {
  const report = (...places: EvidencePlace[]): ReportFacts => ({
    observedAt: '2022-03-30T10:00:00Z',
    places,
    indicators: ['airstrike', 'shelling'],
  });

  it('the first scope place wins, even if a later one matches by name', () => {
    // Brovary is within 25 km of Kyiv (first scope place); Chernihiv matches the second by name.
    expect(matchReportToScope(seedScope, report({ name: 'Chernihiv' }, { name: 'Brovary', ...BROVARY }))).toMatchObject({
      place: 'Kyiv',
      indicator: 'shelling',
      by: 'distance',
    });
  });

  it('for the same place a name match is preferred over a distance match', () => {
    expect(matchReportToScope(seedScope, report({ name: 'Brovary', ...BROVARY }, { name: 'kyiv' }))).toEqual({
      place: 'Kyiv',
      indicator: 'shelling',
      by: 'name',
    });
  });
});

describe('seed scenario', () => {
  it('a "Shelling" report near Chernihiv on 2022-03-30 matches', () => {
    const nearChernihiv = { lat: 51.52, lon: 31.3 }; // a few km from the city centre
    expect(
      matchReportToScope(seedScope, {
        observedAt: '2022-03-30T08:00:00Z',
        places: [{ name: 'Chernihiv outskirts', ...nearChernihiv }],
        indicators: ['Shelling'],
      }),
    ).toMatchObject({ place: 'Chernihiv', indicator: 'shelling', by: 'distance' });
    expect(
      matchReportToScope(seedScope, {
        observedAt: '2022-03-30T08:00:00+03:00',
        places: [{ name: 'Chernihiv' }],
        indicators: ['Shelling'],
      }),
    ).toEqual({ place: 'Chernihiv', indicator: 'shelling', by: 'name' });
  });

  it('one in Kharkiv does not', () => {
    expect(
      matchReportToScope(seedScope, {
        observedAt: '2022-03-30T08:00:00Z',
        places: [{ name: 'Kharkiv', ...KHARKIV }],
        indicators: ['Shelling'],
      }),
    ).toBeNull();
  });

  it('one dated before from does not', () => {
    expect(
      matchReportToScope(seedScope, {
        observedAt: '2022-03-28T20:00:00Z',
        places: [{ name: 'Chernihiv', ...CHERNIHIV }],
        indicators: ['Shelling'],
      }),
    ).toBeNull();
  });

  it('stance: absence -> contradicts, presence -> supports', () => {
    expect(stanceForExpectation('absence')).toBe('contradicts');
    expect(stanceForExpectation('presence')).toBe('supports');
    expect(stanceForExpectation(seedScope.expectation)).toBe('contradicts');
  });
});

describe('haversineKm', () => {
  it('known distances', () => {
    expect(haversineKm(KYIV, BROVARY)).toBeCloseTo(20.1, 1);
    expect(haversineKm(KYIV, CHERNIHIV)).toBeCloseTo(128.3, 1);
    expect(haversineKm(KYIV, KYIV)).toBe(0);
  });

  it('is symmetric and finite for antipodes', () => {
    expect(haversineKm(KYIV, CHERNIHIV)).toBeCloseTo(haversineKm(CHERNIHIV, KYIV), 9);
    expect(haversineKm({ lat: 0, lon: 0 }, { lat: 0, lon: 180 })).toBeCloseTo(Math.PI * EARTH_RADIUS_KM, 6);
  });
});

// ---------------------------------------------------------------------------------------------
// Properties

const placeNameArb = fc.constantFrom('Kyiv', ' kyïv ', 'Chernihiv', 'CHERNIHIV', 'Brovary', 'Kharkiv', 'Irpin');
const coordsArb = fc.option(fc.constantFrom(KYIV, BROVARY, CHERNIHIV, KHARKIV, { lat: 50.5, lon: 30.2 }), {
  nil: undefined,
});
const scopePlaceArb: fc.Arbitrary<ScopePlace> = fc
  .record({ name: placeNameArb, coords: coordsArb, radiusKm: fc.option(fc.constantFrom(5, 25, 50), { nil: undefined }) })
  .map(({ name, coords, radiusKm }) => ({ name, ...coords, ...(radiusKm === undefined ? {} : { radiusKm }) }));
const reportPlaceArb: fc.Arbitrary<EvidencePlace> = fc
  .record({ name: placeNameArb, coords: coordsArb })
  .map(({ name, coords }) => ({ name, ...coords }));
const indicatorArb = fc.constantFrom('shelling', ' Shelling', 'AIRSTRIKE', 'airstrike ', 'drone', 'looting');
const scopeArb: fc.Arbitrary<Scope> = fc.record({
  places: fc.array(scopePlaceArb, { maxLength: 4 }),
  indicators: fc.array(indicatorArb, { maxLength: 4 }),
  from: fc.constant('2022-03-29T12:00:00Z'),
  expectation: fc.constantFrom<'absence' | 'presence'>('absence', 'presence'),
});
const reportArb: fc.Arbitrary<ReportFacts> = fc.record({
  observedAt: fc.constantFrom('2022-03-28T00:00:00Z', '2022-03-29T15:00:00+03:00', '2022-03-30T08:00:00Z'),
  places: fc.array(reportPlaceArb, { maxLength: 4 }),
  indicators: fc.array(indicatorArb, { maxLength: 4 }),
});
const shuffle = <T>(xs: readonly T[]) => fc.shuffledSubarray([...xs], { minLength: xs.length });

describe('matching properties', () => {
  it('shuffling places and indicators on either side never changes match / no match', () => {
    fc.assert(
      fc.property(
        scopeArb.chain((scope) =>
          reportArb.chain((report) =>
            fc.record({
              scope: fc.constant(scope),
              report: fc.constant(report),
              scopePlaces: shuffle(scope.places),
              scopeIndicators: shuffle(scope.indicators),
              reportPlaces: shuffle(report.places ?? []),
              reportIndicators: shuffle(report.indicators ?? []),
            }),
          ),
        ),
        ({ scope, report, scopePlaces, scopeIndicators, reportPlaces, reportIndicators }) => {
          const original = matchReportToScope(scope, report);
          const shuffled = matchReportToScope(
            { ...scope, places: scopePlaces, indicators: scopeIndicators },
            { ...report, places: reportPlaces, indicators: reportIndicators },
          );
          expect(shuffled === null).toBe(original === null);
          // The report's order does not even change which pair is named.
          expect(matchReportToScope(scope, { ...report, places: reportPlaces, indicators: reportIndicators })).toEqual(
            original,
          );
        },
      ),
      { numRuns: 500 },
    );
  });

  it('a match names a place and an indicator taken from the scope', () => {
    fc.assert(
      fc.property(scopeArb, reportArb, (scope, report) => {
        const m = matchReportToScope(scope, report);
        if (m === null) return;
        expect(scope.places.map((p) => p.name)).toContain(m.place);
        expect(scope.indicators).toContain(m.indicator);
        expect(m.by === 'distance').toBe(m.distanceKm !== undefined);
      }),
      { numRuns: 300 },
    );
  });
});
