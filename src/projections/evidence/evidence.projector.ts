import { idFromStream, type EvidenceSubmittedData, type StoredEvent } from '../../domain/events';
import { revisedFacts } from '../../domain/evidence.decider';
import type { InlineProjector } from '../../ledger/event-store.types';
import type { SqlExecutor } from '../../ledger/sql-executor';
import type { ReplayBatch, ReplayEvent, ReplayEventOf, ReplayingProjector } from '../replay-batch';
import { NotBatchableError, insertMany, isInt, isText, updateMany, writeMode, writeTables, type WriteMode } from '../sql-batch';
import { EVIDENCE_TABLES } from './tables';

const INSERT_EVIDENCE = 'INSERT INTO evidence (id, position, claim_id, is_report, data, recorded_at) VALUES (?, ?, ?, ?, ?, ?)';
const INSERT_ATTACHMENT = `INSERT INTO attachments (claim_id, evidence_id, stance, attached_by, attached_at, attached_position)
           VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (claim_id, evidence_id) DO NOTHING`;

/** The bound values of each write, shared by `apply` and `applyBatch` so the two cannot drift. */
function evidenceValues(e: ReplayEventOf<'EvidenceSubmitted'>): unknown[] {
  const d = e.data;
  return [idFromStream(e.streamId), e.position, d.claimId, d.claimId ? 0 : 1, JSON.stringify(d), e.recordedAt];
}
/**
 * A revision's row data: the facts as the evidence decider folds them (revisedFacts). Only
 * imported reports are revised (the decider refuses anything without an external reference, and
 * only imports set one), so the piece's claimId is null and it has no stance.
 */
function revisedValues(e: ReplayEventOf<'EvidenceRevised'>): [string, string] {
  return [JSON.stringify(revisedFacts({ claimId: null } as EvidenceSubmittedData, e.data)), idFromStream(e.streamId)];
}
function attachmentValues(e: ReplayEventOf<'EvidenceAttached'>): unknown[] {
  const d = e.data;
  return [idFromStream(e.streamId), d.evidenceId, d.stance, d.attachedBy, e.recordedAt, e.position];
}

/**
 * Evidence and field reports (their data and retraction, for the evidence view and the
 * verification jobs) and where each is attached, written in the append's own transaction.
 * Derived: a rebuild empties the tables and replays the log through `apply` (page by page
 * through `applyBatch`, which writes the same rows with a few multi-row statements).
 */
export class EvidenceProjector implements InlineProjector, ReplayingProjector {
  readonly name = 'evidence';
  readonly tables = EVIDENCE_TABLES;

  async apply(tx: SqlExecutor, e: StoredEvent): Promise<void> {
    switch (e.type) {
      case 'EvidenceSubmitted':
        await tx.run(INSERT_EVIDENCE, evidenceValues(e));
        return;
      case 'EvidenceRevised':
        await tx.run('UPDATE evidence SET data = ? WHERE id = ?', revisedValues(e));
        return;
      case 'EvidenceRetracted':
        await tx.run('UPDATE evidence SET retracted_at = ?, retraction_reason = ? WHERE id = ?', [e.recordedAt, e.data.reason, idFromStream(e.streamId)]);
        return;
      case 'EvidenceAttached':
        await tx.run(INSERT_ATTACHMENT, attachmentValues(e));
        return;
      case 'EvidenceDetached':
        await tx.run('UPDATE attachments SET detached_position = ? WHERE claim_id = ? AND evidence_id = ?', [
          e.position, idFromStream(e.streamId), e.data.evidenceId,
        ]);
        return;
    }
  }

  /**
   * The same rows as `apply` on each event in order, in a few multi-row statements (SQLite:
   * UPDATE … FROM VALUES). Exact, not approximate: see EvidenceBatch. It throws whenever one
   * of those `apply` calls would (the caller then replays the events one by one, to fail with
   * the very same error), and also, to stay exact, on values it cannot prove harmless to merge.
   */
  async applyBatch(tx: SqlExecutor, events: readonly StoredEvent[]): Promise<void> {
    const batch = new EvidenceBatch();
    for (const e of events) batch.add(e);
    await batch.write(tx);
  }

  /**
   * For the rebuild's fast pass (SQLite): an EvidenceBatch whose statements run without
   * statement journals (OR FAIL), so a failing write may leave part of its rows behind; the
   * rebuilder then starts over on its careful path (see ProjectionRebuilder).
   */
  replayBatch(): ReplayBatch {
    return new EvidenceBatch({ unjournaled: true });
  }
}

/**
 * A page of events turned into multi-row writes with the same end state as `apply` on each in
 * order. Why that holds, table by table (see sql-batch.ts for what holds for every table):
 *
 * - evidence (plain INSERT, then UPDATEs by id). A row inserted in the batch takes its later
 *   updates in memory. An update before the row's insert in the same batch is dropped: with no
 *   such row yet it was a no-op, and with one the insert fails anyway (then the whole batch
 *   fails, as `apply` would have). Rows not inserted in the batch get one UPDATE with each
 *   column's last value: the updates only set columns to given values, so only the last one
 *   shows. A duplicate insert in the batch fails like the second `apply` would.
 * - attachments (INSERT … ON CONFLICT DO NOTHING; detach = UPDATE by key). Per key, only the
 *   first attach can insert; a detach before it is applied before the inserts (it hits a row
 *   that already existed, if any), the last detach after it is applied after them.
 *
 * Every value of a merged or dropped write is checked to be a string or a safe integer
 * (NotBatchableError otherwise).
 */
export class EvidenceBatch implements ReplayBatch {
  private readonly mode: WriteMode;

  /** `unjournaled`: the rebuild's fast pass (see writeMode). */
  constructor(opts: { unjournaled?: boolean } = {}) {
    this.mode = writeMode(opts);
  }

  /** Evidence rows in insert order; a retraction later in the batch fills the last two columns. */
  private readonly evidenceRows: unknown[][] = [];
  private readonly newEvidence = new Map<string, unknown[]>();
  private readonly evidenceUpdates = new Map<string, { at: string; reason: string | null }>();
  /** Revisions of pieces not inserted in the batch: the last data per id (a revision sets only `data`). */
  private readonly dataUpdates = new Map<string, string>();
  private readonly attachments = new Map<string, { row: unknown[] | null; before: number | null; after: number | null; claimId: string; evidenceId: string }>();
  /** Rows inserted in the order of their first attach (rowids come out as with `apply`). */
  private readonly attachmentRows: unknown[][] = [];

  add(e: ReplayEvent): void {
    switch (e.type) {
      case 'EvidenceSubmitted': {
        const values = evidenceValues(e);
        const id = values[0] as string;
        if (this.newEvidence.has(id)) throw new NotBatchableError(`evidence ${id} submitted twice`);
        this.evidenceUpdates.delete(id); // before its insert: a no-op, or the insert fails
        const row = [...values, null, null]; // retracted_at, retraction_reason: NULL as the plain insert leaves them
        this.newEvidence.set(id, row);
        this.evidenceRows.push(row);
        return;
      }
      case 'EvidenceRetracted': {
        const reason: unknown = e.data.reason;
        const id = idFromStream(e.streamId);
        if (!isText(e.recordedAt) || !(isText(reason) || reason === null || reason === undefined)) {
          throw new NotBatchableError('retraction with a non-text value');
        }
        const row = this.newEvidence.get(id);
        if (row) {
          row[6] = e.recordedAt;
          row[7] = reason ?? null;
        } else this.evidenceUpdates.set(id, { at: e.recordedAt, reason: reason ?? null });
        return;
      }
      case 'EvidenceRevised': {
        const [data, id] = revisedValues(e);
        const row = this.newEvidence.get(id);
        if (row) row[4] = data;
        else this.dataUpdates.set(id, data);
        return;
      }
      case 'EvidenceAttached': {
        const values = attachmentValues(e);
        if (!values.every((v) => isText(v) || isInt(v))) throw new NotBatchableError('attachment with a non-text value');
        const [claimId, evidenceId] = values as [string, string];
        const key = `${claimId}\u0000${evidenceId}`;
        let a = this.attachments.get(key);
        if (!a) this.attachments.set(key, (a = { row: null, before: null, after: null, claimId, evidenceId }));
        if (!a.row) {
          a.row = values; // the first attach inserts (if no row exists yet); later ones do nothing
          this.attachmentRows.push(values);
        }
        return;
      }
      case 'EvidenceDetached': {
        const claimId = idFromStream(e.streamId);
        const evidenceId: unknown = e.data.evidenceId;
        if (!isText(evidenceId) || !isInt(e.position)) throw new NotBatchableError('detach with a non-text value');
        const key = `${claimId}\u0000${evidenceId}`;
        const a = this.attachments.get(key) ?? { row: null, before: null, after: null, claimId, evidenceId };
        this.attachments.set(key, a);
        if (a.row) a.after = e.position;
        else a.before = e.position;
        return;
      }
    }
  }

  /** The batch's statements, table by table in the order above (see writeTables). */
  async write(tx: SqlExecutor): Promise<void> {
    const { mode } = this;
    const all = [...this.attachments.values()];
    const detach = (rows: Array<[string, string, number]>) =>
      updateMany(tx, mode, `${mode.update} attachments SET detached_position = v.column3`, 'attachments.claim_id = v.column1 AND attachments.evidence_id = v.column2', rows);
    await writeTables(mode, [
      async () => {
        // Evidence retracted in the batch after its insert: the insert carries the retraction.
        await insertMany(tx, mode, 'evidence (id, position, claim_id, is_report, data, recorded_at, retracted_at, retraction_reason)', this.evidenceRows);
        await updateMany(
          tx,
          mode,
          `${mode.update} evidence SET retracted_at = v.column2, retraction_reason = v.column3`,
          'evidence.id = v.column1',
          [...this.evidenceUpdates].map(([id, u]) => [id, u.at, u.reason]),
        );
        await updateMany(tx, mode, `${mode.update} evidence SET data = v.column2`, 'evidence.id = v.column1', [...this.dataUpdates]);
      },
      async () => {
        await detach(all.filter((a) => a.before !== null).map((a) => [a.claimId, a.evidenceId, a.before!]));
        await insertMany(tx, mode, 'attachments (claim_id, evidence_id, stance, attached_by, attached_at, attached_position)', this.attachmentRows, ' ON CONFLICT (claim_id, evidence_id) DO NOTHING');
        await detach(all.filter((a) => a.after !== null).map((a) => [a.claimId, a.evidenceId, a.after!]));
      },
    ]);
  }
}
