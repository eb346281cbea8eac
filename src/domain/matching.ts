/**
 * Matching reports (evidence without a stance) to pledge scopes, per VERDICT.md
 * "Matching reports to pledges" and "Matching v2" (uncertain time and place). Pure: no clock, no I/O.
 *
 * v2 in one line: a report that says how uncertain it is (`observedUntil`, a place's
 * `precisionKm`) matches only when the whole uncertain window and area lie in the scope. Without
 * those fields the rule is exactly v1's, and the recorded rule name stays `scope-match-v1`;
 * `matching-v2` is recorded only for reports that carry one of them (docs/imports.md).
 */
import type { EvidencePlace, Expectation, Scope, ScopePlace, Stance } from './types';

/** Mean earth radius (IUGG), km. */
export const EARTH_RADIUS_KM = 6371.0088;
/** Used when a scope place has coordinates but no radiusKm. */
export const DEFAULT_RADIUS_KM = 25;

export interface LatLon {
  lat: number;
  lon: number;
}

/** What the matcher needs from a report. */
export interface ReportFacts {
  observedAt: string;
  /** v2: the event happened some time in [observedAt, observedUntil). */
  observedUntil?: string;
  places?: EvidencePlace[];
  indicators?: string[];
}

export const MATCHING_V1 = 'scope-match-v1';
export const MATCHING_V2 = 'matching-v2';
export type MatchingRuleName = typeof MATCHING_V1 | typeof MATCHING_V2;

/** Which scope place and indicator a report matched, as written in the scope. */
export interface ScopeMatch {
  place: string;
  indicator: string;
  by: 'name' | 'distance';
  /** Set for `by: 'distance'`; rounded to metres so recorded events stay tidy. */
  distanceKm?: number;
}

/** Great-circle distance in km (haversine). */
export function haversineKm(a: LatLon, b: LatLon): number {
  const rad = Math.PI / 180;
  const dLat = (b.lat - a.lat) * rad;
  const dLon = (b.lon - a.lon) * rad;
  const h =
    Math.sin(dLat / 2) ** 2 + Math.cos(a.lat * rad) * Math.cos(b.lat * rad) * Math.sin(dLon / 2) ** 2;
  // Clamp: rounding can push h a hair above 1 for antipodal points, and asin(>1) is NaN.
  return 2 * EARTH_RADIUS_KM * Math.asin(Math.sqrt(Math.min(1, Math.max(0, h))));
}

export function stanceForExpectation(expectation: Expectation): Stance {
  // A pledge to stop something ("absence") is contradicted by a report that it happened.
  return expectation === 'absence' ? 'contradicts' : 'supports';
}

/** Indicator key: case-insensitive after trimming. */
export function indicatorKey(s: string): string {
  return s.trim().toLowerCase();
}

/** Place-name key: case- and accent-insensitive after trimming ("Kyïv" = " kyiv "). */
export function placeKey(s: string): string {
  return s.normalize('NFD').replace(/\p{M}/gu, '').trim().toLowerCase();
}

function coordsOf(p: { lat?: number; lon?: number }): LatLon | null {
  return Number.isFinite(p.lat) && Number.isFinite(p.lon) ? { lat: p.lat!, lon: p.lon! } : null;
}

/** Instant in ms; NaN for an unparsable date, which then fails every comparison (no match). */
function instant(iso: string | undefined): number {
  return iso === undefined ? NaN : Date.parse(iso);
}

/** Which rule a report is matched under: v2 as soon as it says how uncertain it is. */
export function matchingRuleFor(report: ReportFacts): MatchingRuleName {
  const uncertain = report.observedUntil != null || (report.places ?? []).some((p) => p.precisionKm != null);
  return uncertain ? MATCHING_V2 : MATCHING_V1;
}

/** The report's precision for one place: 0 when absent (v1: an exact place). */
function precisionOf(p: EvidencePlace): number {
  return p.precisionKm ?? 0;
}

function inWindow(scope: Scope, report: ReportFacts): boolean {
  const at = instant(report.observedAt);
  const from = instant(scope.from);
  if (!(from <= at)) return false;
  if (scope.until == null) return true; // open-ended (null tolerated from stored JSON)
  const until = instant(scope.until);
  // v2: the whole window [observedAt, observedUntil) must lie before until (observedUntil is exclusive).
  if (report.observedUntil != null) return at < instant(report.observedUntil) && instant(report.observedUntil) <= until;
  return at < until;
}

type PlaceHit = Pick<ScopeMatch, 'by' | 'distanceKm'>;

/** How a report touches one scope place: by name if possible, else the nearest report place in radius. */
function matchPlace(scopePlace: ScopePlace, reportPlaces: readonly EvidencePlace[]): PlaceHit | null {
  const key = placeKey(scopePlace.name ?? '');
  // v2: a name says where only for an exact place (precisionKm absent or 0).
  if (key !== '' && reportPlaces.some((p) => precisionOf(p) === 0 && placeKey(p.name ?? '') === key)) {
    return { by: 'name' };
  }
  const centre = coordsOf(scopePlace);
  if (!centre) return null;
  const radius = scopePlace.radiusKm ?? DEFAULT_RADIUS_KM;
  let best = Infinity;
  let bestDistance = Infinity;
  for (const p of reportPlaces) {
    const at = coordsOf(p);
    if (!at) continue;
    const d = haversineKm(centre, at);
    // v2: the whole area (distance + precision) must lie in the radius; v1: precision 0.
    const reach = d + precisionOf(p);
    if (reach < best || (reach === best && d < bestDistance)) {
      best = reach;
      bestDistance = d;
    }
  }
  // Nearest, not first, so the recorded distance does not depend on the report's place order.
  return best <= radius ? { by: 'distance', distanceKm: Math.round(bestDistance * 1000) / 1000 } : null;
}

/**
 * The match of a report against a pledge scope, or null. When several pairs match, the choice
 * is deterministic: the first scope place (in scope order), then the first scope indicator.
 */
export function matchReportToScope(scope: Scope, report: ReportFacts): ScopeMatch | null {
  if (!inWindow(scope, report)) return null;

  const reportIndicators = new Set(
    (report.indicators ?? []).map(indicatorKey).filter((k) => k !== ''),
  );
  const indicator = (scope.indicators ?? []).find((i) => {
    const k = indicatorKey(i);
    return k !== '' && reportIndicators.has(k);
  });
  if (indicator === undefined) return null;

  const reportPlaces = report.places ?? [];
  for (const scopePlace of scope.places ?? []) {
    const hit = matchPlace(scopePlace, reportPlaces);
    if (hit) return { place: scopePlace.name, indicator, ...hit };
  }
  return null;
}
