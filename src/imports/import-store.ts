import type { DataSource } from 'typeorm';
import type { EventStore } from '../ledger/event-store';
import type { RowError } from './acled';
import type { ImportCompletedData } from '../domain/events';
import type { Credibility, Reliability } from '../domain/types';

/**
 * The imports table: operational state, like checkpoints and API keys (not a read model: the
 * file and its progress are not in the log; ImportCompleted is, once an import is done). Writes
 * go through EventStore.transaction; reads through the read connection.
 */

export type ImportFormat = ImportCompletedData['format'];
export const IMPORT_FORMATS: readonly ImportFormat[] = ['acled', 'acled-deletions', 'ndjson'];
export type ImportState = 'queued' | 'running' | 'done' | 'failed';
export type ImportCounts = ImportCompletedData['counts'];
export const COUNT_NAMES = ['rows', 'accepted', 'revised', 'unchanged', 'stale', 'retracted', 'rejected'] as const;
/** Per-line errors kept per import (the count of rejected rows goes on). */
export const MAX_ERRORS = 1000;

export const zeroCounts = (): ImportCounts => ({ rows: 0, accepted: 0, revised: 0, unchanged: 0, stale: 0, retracted: 0, rejected: 0 });

export interface ImportRecord {
  id: string;
  dataset: string;
  format: ImportFormat;
  datasetUrl: string;
  reliability: Reliability;
  credibility: Credibility;
  state: ImportState;
  sha256: string;
  bytes: number;
  filePath: string;
  /** The last line of the file whose rows are counted (the resume point). */
  doneLine: number;
  /** A batch decided but perhaps not yet appended (written before its appends, cleared with the checkpoint). */
  pending: PendingBatch | null;
  counts: ImportCounts;
  errors: RowError[];
  failure: string | null;
  createdBy: string | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
}

/** What one batch adds, decided against the ledger before its appends (see ImportProcessor). */
export interface PendingBatch {
  endLine: number;
  counts: ImportCounts;
  errors: RowError[];
}

type Row = Record<string, unknown>;

function recordOf(r: Row): ImportRecord {
  const n = (k: string) => Number(r[k] ?? 0);
  return {
    id: String(r.id),
    dataset: String(r.dataset),
    format: r.format as ImportFormat,
    datasetUrl: String(r.dataset_url),
    reliability: r.reliability as Reliability,
    credibility: n('credibility') as Credibility,
    state: r.state as ImportState,
    sha256: String(r.sha256),
    bytes: n('bytes'),
    filePath: String(r.file_path),
    doneLine: n('done_line'),
    pending: r.pending ? (JSON.parse(String(r.pending)) as PendingBatch) : null,
    counts: { rows: n('rows_seen'), accepted: n('accepted'), revised: n('revised'), unchanged: n('unchanged'), stale: n('stale'), retracted: n('retracted'), rejected: n('rejected') },
    errors: JSON.parse(String(r.errors ?? '[]')) as RowError[],
    failure: (r.failure as string | null) ?? null,
    createdBy: (r.created_by as string | null) ?? null,
    createdAt: String(r.created_at),
    startedAt: (r.started_at as string | null) ?? null,
    finishedAt: (r.finished_at as string | null) ?? null,
  };
}

export interface NewImport {
  id: string;
  dataset: string;
  format: ImportFormat;
  datasetUrl: string;
  reliability: Reliability;
  credibility: Credibility;
  sha256: string;
  bytes: number;
  filePath: string;
  createdBy: string | null;
}

export class ImportStore {
  constructor(
    private readonly store: EventStore,
    private readonly ds: DataSource,
  ) {}

  async create(x: NewImport): Promise<void> {
    await this.store.transaction((tx) =>
      tx.run(
        `INSERT INTO imports (id, dataset, format, dataset_url, reliability, credibility, state, sha256, bytes, file_path, created_by, created_at)
         VALUES (?, ?, ?, ?, ?, ?, 'queued', ?, ?, ?, ?, ?)`,
        [x.id, x.dataset, x.format, x.datasetUrl, x.reliability, x.credibility, x.sha256, x.bytes, x.filePath, x.createdBy, new Date().toISOString()],
      ),
    );
  }

  async get(id: string): Promise<ImportRecord | null> {
    const rows: Row[] = await this.ds.query('SELECT * FROM imports WHERE id = ?', [id]);
    return rows[0] ? recordOf(rows[0]) : null;
  }

  /** Newest first; `after` is the last page's last (createdAt, id). */
  async list(limit: number, after: { createdAt: string; id: string } | null): Promise<ImportRecord[]> {
    const rows: Row[] = after
      ? await this.ds.query('SELECT * FROM imports WHERE created_at < ? OR (created_at = ? AND id < ?) ORDER BY created_at DESC, id DESC LIMIT ?', [
          after.createdAt, after.createdAt, after.id, limit,
        ])
      : await this.ds.query('SELECT * FROM imports ORDER BY created_at DESC, id DESC LIMIT ?', [limit]);
    return rows.map(recordOf);
  }

  /** Imports not finished yet (queued, or running when a process stopped), oldest first. */
  async unfinished(): Promise<string[]> {
    const rows: Array<{ id: string }> = await this.ds.query("SELECT id FROM imports WHERE state IN ('queued', 'running') ORDER BY created_at, id");
    return rows.map((r) => r.id);
  }

  async markRunning(id: string): Promise<void> {
    await this.store.transaction((tx) =>
      tx.run("UPDATE imports SET state = 'running', started_at = COALESCE(started_at, ?) WHERE id = ? AND state IN ('queued', 'running')", [new Date().toISOString(), id]),
    );
  }

  /** Records a decided batch before its appends; false when another runner has moved the import on. */
  async setPending(id: string, doneLine: number, pending: PendingBatch): Promise<boolean> {
    const r = await this.store.transaction((tx) =>
      tx.run("UPDATE imports SET pending = ? WHERE id = ? AND done_line = ? AND pending IS NULL AND state = 'running'", [JSON.stringify(pending), id, doneLine]),
    );
    return r.changes === 1;
  }

  /** The batch's appends are in the log: its counts and errors count, and the resume point moves. */
  async commitPending(id: string, fromLine: number, pending: PendingBatch): Promise<boolean> {
    return this.store.transaction(async (tx) => {
      const row = await tx.get<{ errors: string }>("SELECT errors FROM imports WHERE id = ? AND done_line = ? AND state = 'running'", [id, fromLine]);
      if (!row) return false;
      const errors = (JSON.parse(row.errors) as RowError[]).concat(pending.errors).slice(0, MAX_ERRORS);
      const c = pending.counts;
      const r = await tx.run(
        `UPDATE imports SET done_line = ?, pending = NULL, errors = ?, rows_seen = rows_seen + ?, accepted = accepted + ?, revised = revised + ?,
           unchanged = unchanged + ?, stale = stale + ?, retracted = retracted + ?, rejected = rejected + ?
         WHERE id = ? AND done_line = ? AND state = 'running'`,
        [pending.endLine, JSON.stringify(errors), c.rows, c.accepted, c.revised, c.unchanged, c.stale, c.retracted, c.rejected, id, fromLine],
      );
      return r.changes === 1;
    });
  }

  async finish(id: string, state: 'done' | 'failed', failure: string | null = null): Promise<void> {
    await this.store.transaction((tx) =>
      tx.run("UPDATE imports SET state = ?, failure = ?, pending = NULL, finished_at = ? WHERE id = ? AND state IN ('queued', 'running')", [
        state, failure, new Date().toISOString(), id,
      ]),
    );
  }
}
