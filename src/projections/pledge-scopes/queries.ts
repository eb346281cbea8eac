import type { DataSource } from 'typeorm';
import type { Scope } from '../../domain/types';
import { reportIndexEntry, reportLookupKeys } from '../../domain/match-index';
import type { ReportFacts } from '../../domain/matching';

/** Keys per `IN (…)` list. */
const KEYS_PER_QUERY = 400;

/** Every pledge's scope, in log order (the order the matcher tries them in). */
export async function allPledgeScopes(ds: DataSource): Promise<Array<{ claimId: string; scope: Scope }>> {
  const rows: Array<{ claim_id: string; scope: string }> = await ds.query('SELECT claim_id, scope FROM pledge_scopes ORDER BY position');
  return rows.map((r) => ({ claimId: r.claim_id, scope: JSON.parse(r.scope) as Scope }));
}

/** The pledge's scope; null for a claim, a pledge without scope, or no such claim. */
export async function pledgeScopeOf(ds: DataSource, claimId: string): Promise<Scope | null> {
  const rows: Array<{ scope: string }> = await ds.query('SELECT scope FROM pledge_scopes WHERE claim_id = ?', [claimId]);
  return rows[0] ? (JSON.parse(rows[0].scope) as Scope) : null;
}

/**
 * The pledges a report can match, from the index (pledge_scope_keys): those filed under one of
 * the report's place keys whose window holds observedAt, in log order. A superset of the
 * matches: the caller applies the rule (the property test in match-index.spec.ts holds the keys exact).
 */
export async function candidatePledgeScopes(ds: DataSource, report: ReportFacts): Promise<Array<{ claimId: string; scope: Scope }>> {
  const entry = reportIndexEntry(report);
  if (!entry) return [];
  const keys = reportLookupKeys(entry);
  const ids = new Set<string>();
  for (let i = 0; i < keys.length; i += KEYS_PER_QUERY) {
    const chunk = keys.slice(i, i + KEYS_PER_QUERY);
    const rows: Array<{ claim_id: string }> = await ds.query(
      `SELECT DISTINCT claim_id FROM pledge_scope_keys WHERE key IN (${chunk.map(() => '?').join(',')}) AND from_ms <= ? AND (until_ms IS NULL OR until_ms > ?)`,
      [...chunk, entry.observedMs, entry.observedMs],
    );
    for (const r of rows) ids.add(r.claim_id);
  }
  if (ids.size === 0) return [];
  const out: Array<{ claimId: string; scope: Scope; position: number }> = [];
  const missing: string[] = [];
  let scopeCache = scopeCaches.get(ds);
  if (!scopeCache) scopeCaches.set(ds, (scopeCache = new Map()));
  for (const id of ids) {
    const hit = scopeCache.get(id);
    if (hit) out.push({ claimId: id, ...hit });
    else missing.push(id);
  }
  for (let i = 0; i < missing.length; i += KEYS_PER_QUERY) {
    const chunk = missing.slice(i, i + KEYS_PER_QUERY);
    const rows: Array<{ claim_id: string; scope: string; position: number }> = await ds.query(
      `SELECT claim_id, scope, position FROM pledge_scopes WHERE claim_id IN (${chunk.map(() => '?').join(',')})`,
      chunk,
    );
    for (const r of rows) {
      const entry = { scope: JSON.parse(r.scope) as Scope, position: Number(r.position) };
      remember(scopeCache, r.claim_id, entry);
      out.push({ claimId: r.claim_id, ...entry });
    }
  }
  return out.sort((a, b) => a.position - b.position).map(({ claimId, scope }) => ({ claimId, scope }));
}

/**
 * Parsed scopes by claim id, shared by this process's matcher jobs: a pledge's scope is written
 * once (ClaimRecorded) and never changes, so a cached one is always right; a rebuild writes the
 * same scope at the same position. One cache per database connection; bounded (oldest first out).
 */
const SCOPE_CACHE_MAX = 20_000;
type ScopeCache = Map<string, { scope: Scope; position: number }>;
const scopeCaches = new WeakMap<DataSource, ScopeCache>();
function remember(cache: ScopeCache, claimId: string, entry: { scope: Scope; position: number }): void {
  if (cache.size >= SCOPE_CACHE_MAX) cache.delete(cache.keys().next().value!);
  cache.set(claimId, entry);
}
