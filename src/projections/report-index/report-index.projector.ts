import { idFromStream, type EvidenceSubmittedData, type StoredEvent } from '../../domain/events';
import { reportIndexEntry } from '../../domain/match-index';
import type { SqlExecutor } from '../../ledger/sql-executor';
import type { ReplayBatch, ReplayEvent, ReplayingProjector } from '../replay-batch';
import { insertMany, writeMode, type WriteMode } from '../sql-batch';
import { REPORT_INDEX_TABLES } from './tables';

const INSERT_EXTERNAL = 'INSERT INTO external_reports (dataset, external_id, evidence_id, revision, version, retracted) VALUES (?, ?, ?, ?, ?, ?)';
const INSERT_KEY = 'INSERT INTO report_keys (key, evidence_id, observed_ms) VALUES (?, ?, ?)';

type Facts = Omit<EvidenceSubmittedData, 'claimId' | 'stance'>;

function keyRows(evidenceId: string, facts: Facts): unknown[][] {
  const entry = reportIndexEntry(facts);
  return entry ? entry.keys.map((k) => [k, evidenceId, entry.observedMs]) : [];
}

/** The rows an EvidenceSubmitted adds (reports only: evidence for a claim is never matched). */
function submittedRows(e: Extract<ReplayEvent, { type: 'EvidenceSubmitted' }>): { keys: unknown[][]; external: unknown[] | null } {
  if (e.data.claimId) return { keys: [], external: null };
  const id = idFromStream(e.streamId);
  const x = e.data.external;
  return { keys: keyRows(id, e.data), external: x ? [x.dataset, x.id, id, x.revision, e.streamVersion, 0] : null };
}

/**
 * Reports by dataset row (external_reports: which report a row became, its revision, its
 * stream's version, retracted or not: what the import decides against) and by place key and
 * time (report_keys: a new pledge's candidate reports). A revision replaces the report's keys; a
 * retraction removes them (a retracted report never matches). Written in the append's own
 * transaction; a rebuild replays the log.
 */
export class ReportIndexProjector implements ReplayingProjector {
  readonly name = 'report-index';
  readonly tables = REPORT_INDEX_TABLES;
  /** A revision or retraction deletes and updates by evidence_id: without these, each would scan its table during a rebuild. */
  readonly replayIndexes = ['report_keys_evidence', 'external_reports_evidence'];

  async apply(tx: SqlExecutor, e: StoredEvent | ReplayEvent): Promise<void> {
    switch (e.type) {
      case 'EvidenceSubmitted': {
        const rows = submittedRows(e);
        if (rows.external) await tx.run(INSERT_EXTERNAL, rows.external);
        for (const k of rows.keys) await tx.run(INSERT_KEY, k);
        return;
      }
      case 'EvidenceRevised': {
        const id = idFromStream(e.streamId);
        await tx.run('DELETE FROM report_keys WHERE evidence_id = ?', [id]);
        for (const k of keyRows(id, e.data)) await tx.run(INSERT_KEY, k);
        const x = e.data.external;
        if (x) await tx.run('UPDATE external_reports SET revision = ?, version = ? WHERE evidence_id = ?', [x.revision, e.streamVersion, id]);
        return;
      }
      case 'EvidenceRetracted': {
        const id = idFromStream(e.streamId);
        await tx.run('DELETE FROM report_keys WHERE evidence_id = ?', [id]);
        await tx.run('UPDATE external_reports SET retracted = 1, version = ? WHERE evidence_id = ?', [e.streamVersion, id]);
        return;
      }
    }
  }

  /** The same as `apply` on each event in order: runs of submissions become multi-row inserts. */
  async applyBatch(tx: SqlExecutor, events: readonly StoredEvent[]): Promise<void> {
    const batch = new ReportIndexBatch(this);
    for (const e of events) batch.add(e);
    await batch.write(tx);
  }

  replayBatch(): ReplayBatch {
    return new ReportIndexBatch(this, { unjournaled: true });
  }
}

/**
 * Exact by construction: events are taken in log order; consecutive submissions are gathered
 * into multi-row inserts (plain inserts: same rows, same order), and any other event of ours
 * first writes what was gathered, then runs `apply` itself.
 */
class ReportIndexBatch implements ReplayBatch {
  private readonly mode: WriteMode;
  private readonly steps: Array<{ keys: unknown[][]; external: unknown[][] } | ReplayEvent> = [];

  constructor(
    private readonly projector: ReportIndexProjector,
    opts: { unjournaled?: boolean } = {},
  ) {
    this.mode = writeMode(opts);
  }

  add(e: ReplayEvent): void {
    if (e.type === 'EvidenceSubmitted') {
      const rows = submittedRows(e);
      if (!rows.external && rows.keys.length === 0) return;
      let last = this.steps[this.steps.length - 1];
      if (!last || 'type' in last) this.steps.push((last = { keys: [], external: [] }));
      last.keys.push(...rows.keys);
      if (rows.external) last.external.push(rows.external);
    } else if (e.type === 'EvidenceRevised' || e.type === 'EvidenceRetracted') {
      this.steps.push(e);
    }
  }

  async write(tx: SqlExecutor): Promise<void> {
    for (const step of this.steps) {
      if ('type' in step) {
        await this.projector.apply(tx, step);
        continue;
      }
      await insertMany(tx, this.mode, 'external_reports (dataset, external_id, evidence_id, revision, version, retracted)', step.external);
      await insertMany(tx, this.mode, 'report_keys (key, evidence_id, observed_ms)', step.keys);
    }
  }
}
