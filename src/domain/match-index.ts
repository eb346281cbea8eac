/**
 * Index keys for matching that scales (issue 13): which pledges a report can match, and which
 * reports a pledge can match, without trying the rule on every pair. Pure: the read models store
 * these keys (src/projections/pledge-scopes, src/projections/report-index) and query them; the
 * rule itself (matching.ts) then decides on the few candidates, so the indexed matcher gives
 * exactly the plain rule's results (test/unit/domain/match-index.spec.ts checks it on random data).
 *
 * A key is one of:
 * - `n:<place key>`: a place name (case- and accent-insensitive), for matches by name;
 * - `g:<row>:<col>`: a cell of a grid of GRID_DEG degrees, for matches by distance;
 * - `g:*`: a scope circle too large (or too near a pole or the antimeridian) for a few cells.
 * A report place is filed under its name (only when exact: precisionKm absent or 0) and the cell
 * of its coordinates; a scope place under its name and every cell its circle touches. A report at
 * distance d ≤ radius lies inside the circle, so its own cell is one of the circle's cells.
 */
import { DEFAULT_RADIUS_KM, EARTH_RADIUS_KM, matchReportToScope, placeKey, type ReportFacts, type ScopeMatch } from './matching';
import type { Scope } from './types';

/** Grid cell size in degrees (about 55 km north–south). */
export const GRID_DEG = 0.5;
/** A circle covering more cells than this is filed under `g:*` instead. */
export const MAX_CELLS_PER_PLACE = 64;
export const ANY_CELL = 'g:*';

function finite(n: unknown): n is number {
  return typeof n === 'number' && Number.isFinite(n);
}

export function nameKey(name: string | undefined): string | null {
  const k = placeKey(name ?? '');
  return k === '' ? null : `n:${k}`;
}

export function pointCell(lat: number, lon: number): string {
  return `g:${Math.floor(lat / GRID_DEG)}:${Math.floor(lon / GRID_DEG)}`;
}

/**
 * Every cell a circle of `radiusKm` around (lat, lon) touches, or [ANY_CELL] when that is too
 * many. Bounds: a point within angular distance δ of the centre differs in latitude by at most δ
 * and in longitude by at most asin(sin δ / cos lat) (while the circle holds no pole); a small
 * margin covers rounding.
 */
export function circleCells(lat: number, lon: number, radiusKm: number): string[] {
  if (!(radiusKm >= 0)) return [];
  const delta = radiusKm / EARTH_RADIUS_KM; // radians
  const rad = Math.PI / 180;
  const margin = 1e-6;
  const dLat = delta / rad + margin;
  const minLat = lat - dLat;
  const maxLat = lat + dLat;
  if (minLat <= -90 || maxLat >= 90 || delta >= Math.PI / 2) return [ANY_CELL];
  const s = Math.sin(delta) / Math.cos(lat * rad);
  if (s >= 1) return [ANY_CELL];
  const dLon = Math.asin(s) / rad + margin;
  const minLon = lon - dLon;
  const maxLon = lon + dLon;
  if (minLon < -180 || maxLon >= 180) return [ANY_CELL];
  const r0 = Math.floor(minLat / GRID_DEG);
  const r1 = Math.floor(maxLat / GRID_DEG);
  const c0 = Math.floor(minLon / GRID_DEG);
  const c1 = Math.floor(maxLon / GRID_DEG);
  if ((r1 - r0 + 1) * (c1 - c0 + 1) > MAX_CELLS_PER_PLACE) return [ANY_CELL];
  const out: string[] = [];
  for (let r = r0; r <= r1; r++) for (let c = c0; c <= c1; c++) out.push(`g:${r}:${c}`);
  return out;
}

/** The instant in ms, or null when the text is not a date (such a report or scope never matches). */
export function instantMs(iso: string | undefined | null): number | null {
  if (iso == null) return null;
  const t = Date.parse(iso);
  return Number.isFinite(t) ? t : null;
}

/** Where a scope is filed: its keys and its window (null when it can never match). */
export interface ScopeIndexEntry {
  keys: string[];
  fromMs: number;
  /** null: open-ended. */
  untilMs: number | null;
}

export function scopeIndexEntry(scope: Scope): ScopeIndexEntry | null {
  const fromMs = instantMs(scope.from);
  if (fromMs === null) return null;
  const untilMs = scope.until == null ? null : instantMs(scope.until);
  if (scope.until != null && untilMs === null) return null; // an unparsable until never matches
  const keys = new Set<string>();
  for (const p of scope.places ?? []) {
    const n = nameKey(p.name);
    if (n) keys.add(n);
    if (finite(p.lat) && finite(p.lon)) for (const c of circleCells(p.lat, p.lon, p.radiusKm ?? DEFAULT_RADIUS_KM)) keys.add(c);
  }
  return { keys: [...keys], fromMs, untilMs };
}

/** Where a report is filed (its keys and observedAt), null when it can never match. */
export interface ReportIndexEntry {
  keys: string[];
  observedMs: number;
}

export function reportIndexEntry(report: ReportFacts): ReportIndexEntry | null {
  const observedMs = instantMs(report.observedAt);
  if (observedMs === null) return null;
  const keys = new Set<string>();
  for (const p of report.places ?? []) {
    const n = (p.precisionKm ?? 0) === 0 ? nameKey(p.name) : null;
    if (n) keys.add(n);
    if (finite(p.lat) && finite(p.lon)) keys.add(pointCell(p.lat, p.lon));
  }
  return { keys: [...keys], observedMs };
}

/** The keys to look a report up by: its own, plus ANY_CELL when it has coordinates. */
export function reportLookupKeys(entry: ReportIndexEntry): string[] {
  return entry.keys.some((k) => k.startsWith('g:')) ? [...entry.keys, ANY_CELL] : entry.keys;
}

/** The keys to look a scope's reports up by, or null when a place is filed under ANY_CELL (then every report is a candidate). */
export function scopeLookupKeys(entry: ScopeIndexEntry): string[] | null {
  return entry.keys.includes(ANY_CELL) ? null : entry.keys;
}

/** Could a report observed at `observedMs` lie in the window? (The rule checks the rest.) */
export function inScopeWindow(entry: Pick<ScopeIndexEntry, 'fromMs' | 'untilMs'>, observedMs: number): boolean {
  return entry.fromMs <= observedMs && (entry.untilMs === null || observedMs < entry.untilMs);
}

/**
 * An in-memory index of scopes: the same keys the read models store, for the property test and
 * the bench (indexed against plain scan). `match` gives what trying the rule on every scope in
 * order gives.
 */
export class ScopeIndex<T extends { scope: Scope }> {
  private readonly byKey = new Map<string, number[]>();
  private readonly entries: Array<ScopeIndexEntry | null>;

  constructor(private readonly items: readonly T[]) {
    this.entries = items.map((it) => scopeIndexEntry(it.scope));
    this.entries.forEach((e, i) => {
      for (const k of e?.keys ?? []) {
        let list = this.byKey.get(k);
        if (!list) this.byKey.set(k, (list = []));
        list.push(i);
      }
    });
  }

  /** Indexes of candidate scopes, ascending (a superset of the matches). */
  candidates(report: ReportFacts): number[] {
    const entry = reportIndexEntry(report);
    if (!entry) return [];
    const out = new Set<number>();
    for (const k of reportLookupKeys(entry)) {
      for (const i of this.byKey.get(k) ?? []) if (inScopeWindow(this.entries[i]!, entry.observedMs)) out.add(i);
    }
    return [...out].sort((a, b) => a - b);
  }

  match(report: ReportFacts): Array<{ item: T; match: ScopeMatch }> {
    const out: Array<{ item: T; match: ScopeMatch }> = [];
    for (const i of this.candidates(report)) {
      const m = matchReportToScope(this.items[i].scope, report);
      if (m) out.push({ item: this.items[i], match: m });
    }
    return out;
  }
}

/** The plain rule over every scope, in order: what the index must equal. */
export function plainMatch<T extends { scope: Scope }>(items: readonly T[], report: ReportFacts): Array<{ item: T; match: ScopeMatch }> {
  const out: Array<{ item: T; match: ScopeMatch }> = [];
  for (const item of items) {
    const m = matchReportToScope(item.scope, report);
    if (m) out.push({ item, match: m });
  }
  return out;
}
