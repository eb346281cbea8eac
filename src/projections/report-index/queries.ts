import type { DataSource } from 'typeorm';
import { scopeIndexEntry, scopeLookupKeys } from '../../domain/match-index';
import type { Scope } from '../../domain/types';

const PER_QUERY = 400;

/** An imported report as the import decides against it. */
export interface ExternalReportRow {
  externalId: string;
  evidenceId: string;
  revision: number;
  /** The evidence stream's version (the next append's expected version). */
  version: number;
  retracted: boolean;
}

/** The reports the dataset's rows became, by external id (ids not imported yet are absent). */
export async function externalReports(ds: DataSource, dataset: string, externalIds: readonly string[]): Promise<Map<string, ExternalReportRow>> {
  const out = new Map<string, ExternalReportRow>();
  const ids = [...new Set(externalIds)];
  for (let i = 0; i < ids.length; i += PER_QUERY) {
    const chunk = ids.slice(i, i + PER_QUERY);
    const rows: Array<{ external_id: string; evidence_id: string; revision: number | string; version: number | string; retracted: number | string }> = await ds.query(
      `SELECT external_id, evidence_id, revision, version, retracted FROM external_reports WHERE dataset = ? AND external_id IN (${chunk.map(() => '?').join(',')})`,
      [dataset, ...chunk],
    );
    for (const r of rows) {
      out.set(r.external_id, { externalId: r.external_id, evidenceId: r.evidence_id, revision: Number(r.revision), version: Number(r.version), retracted: Number(r.retracted) === 1 });
    }
  }
  return out;
}

/**
 * The reports a scope can match, from the index (report_keys): filed under one of the scope's
 * place keys, observed inside its window, not retracted, in log order. Null when a scope place is
 * too large for the grid (then every report is a candidate and the caller scans).
 */
export async function candidateReportIds(ds: DataSource, scope: Scope): Promise<string[] | null> {
  const entry = scopeIndexEntry(scope);
  if (!entry) return [];
  const keys = scopeLookupKeys(entry);
  if (keys === null) return null;
  const ids = new Set<string>();
  for (let i = 0; i < keys.length; i += PER_QUERY) {
    const chunk = keys.slice(i, i + PER_QUERY);
    const until = entry.untilMs === null ? '' : ' AND observed_ms < ?';
    const rows: Array<{ evidence_id: string }> = await ds.query(
      `SELECT DISTINCT evidence_id FROM report_keys WHERE key IN (${chunk.map(() => '?').join(',')}) AND observed_ms >= ?${until}`,
      [...chunk, entry.fromMs, ...(entry.untilMs === null ? [] : [entry.untilMs])],
    );
    for (const r of rows) ids.add(r.evidence_id);
  }
  return [...ids];
}
