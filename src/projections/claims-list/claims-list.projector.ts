import { idFromStream, type ClaimRecordedData, type StoredEvent } from '../../domain/events';
import type { InlineProjector } from '../../ledger/event-store.types';
import type { SqlExecutor } from '../../ledger/sql-executor';
import type { ReplayBatch, ReplayEvent, ReplayEventOf, ReplayingProjector } from '../replay-batch';
import { NotBatchableError, insertMany, isInt, isText, updateMany, writeMode, writeTables, type WriteMode } from '../sql-batch';
import { normalizeText } from './normalize-text';
import { CLAIMS_LIST_TABLES } from './tables';

const INSERT_CLAIM = `INSERT INTO claims (id, position, kind, statement, statement_norm, speaker_name, speaker_norm, made_at, status, version, recorded_at, updated_at, summary)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'unverified', ?, ?, ?, ?)`;
const INSERT_TOPIC = 'INSERT INTO claim_topics (claim_id, topic_norm, position) VALUES (?, ?, ?)';

/** The bound values of each write, shared by `apply` and `applyBatch` so the two cannot drift. */
function claimValues(e: ReplayEventOf<'ClaimRecorded'>): unknown[] {
  const c = e.data;
  const summary = { kind: c.kind, statement: c.statement, speaker: c.speaker, madeAt: c.madeAt, source: c.source, topics: c.topics };
  return [idFromStream(e.streamId), e.position, c.kind, c.statement, normalizeText(c.statement), c.speaker.name, normalizeText(c.speaker.name), c.madeAt,
    e.streamVersion, e.recordedAt, e.recordedAt, JSON.stringify(summary)];
}
function claimTopics(c: ClaimRecordedData): string[] {
  return [...new Set(c.topics.map(normalizeText))];
}

/**
 * The claims list (filters, status, the list's summaries) and the claims' topics, written in
 * the append's own transaction. Derived: a rebuild empties the tables and replays the log
 * through `apply` (page by page through `applyBatch`, which writes the same rows with a few
 * multi-row statements).
 */
export class ClaimsListProjector implements InlineProjector, ReplayingProjector {
  readonly name = 'claims-list';
  readonly tables = CLAIMS_LIST_TABLES;

  async apply(tx: SqlExecutor, e: StoredEvent): Promise<void> {
    switch (e.type) {
      case 'ClaimRecorded': {
        const id = idFromStream(e.streamId);
        await tx.run(INSERT_CLAIM, claimValues(e));
        for (const topic of claimTopics(e.data)) {
          await tx.run(INSERT_TOPIC, [id, topic, e.position]);
        }
        return;
      }
      case 'EvidenceAttached':
      case 'EvidenceDetached':
        return this.touchClaim(tx, e);
      case 'VerificationStatusChanged':
        await tx.run('UPDATE claims SET status = ? WHERE id = ?', [e.data.to, idFromStream(e.streamId)]);
        return this.touchClaim(tx, e);
    }
  }

  /**
   * The same rows as `apply` on each event in order, in a few multi-row statements (SQLite:
   * UPDATE … FROM VALUES). Exact, not approximate: see ClaimsListBatch. It throws whenever one
   * of those `apply` calls would (the caller then replays the events one by one, to fail with
   * the very same error), and also, to stay exact, on values it cannot prove harmless to merge.
   */
  async applyBatch(tx: SqlExecutor, events: readonly StoredEvent[]): Promise<void> {
    const batch = new ClaimsListBatch();
    for (const e of events) batch.add(e);
    await batch.write(tx);
  }

  /**
   * For the rebuild's fast pass (SQLite): a ClaimsListBatch whose statements run without
   * statement journals (OR FAIL), so a failing write may leave part of its rows behind; the
   * rebuilder then starts over on its careful path (see ProjectionRebuilder).
   */
  replayBatch(): ReplayBatch {
    return new ClaimsListBatch({ unjournaled: true });
  }

  private async touchClaim(tx: SqlExecutor, e: StoredEvent): Promise<void> {
    await tx.run('UPDATE claims SET version = ?, updated_at = ? WHERE id = ?', [e.streamVersion, e.recordedAt, idFromStream(e.streamId)]);
  }
}

/**
 * A page of events turned into multi-row writes with the same end state as `apply` on each in
 * order. Why that holds, table by table (see sql-batch.ts for what holds for every table):
 *
 * - claims (plain INSERT, then UPDATEs by id). A row inserted in the batch takes its later
 *   updates in memory. An update before the row's insert in the same batch is dropped: with no
 *   such row yet it was a no-op, and with one the insert fails anyway (then the whole batch
 *   fails, as `apply` would have). Rows not inserted in the batch get one UPDATE with each
 *   column's last value: the updates only set columns to given values, so only the last one
 *   shows. A duplicate insert in the batch fails like the second `apply` would.
 * - claim_topics: plain inserts.
 *
 * Every value of a merged or dropped update is checked to be a string or a safe integer
 * (NotBatchableError otherwise).
 */
export class ClaimsListBatch implements ReplayBatch {
  private readonly mode: WriteMode;

  /** `unjournaled`: the rebuild's fast pass (see writeMode). */
  constructor(opts: { unjournaled?: boolean } = {}) {
    this.mode = writeMode(opts);
  }

  private readonly claimRows: unknown[][] = [];
  private readonly newClaims = new Map<string, unknown[]>();
  private readonly claimUpdates = new Map<string, { version: number; updatedAt: string; status: string | null }>();
  private readonly topicRows: unknown[][] = [];

  add(e: ReplayEvent): void {
    switch (e.type) {
      case 'ClaimRecorded': {
        const values = claimValues(e);
        const id = values[0] as string;
        if (this.newClaims.has(id)) throw new NotBatchableError(`claim ${id} recorded twice`); // apply fails there too
        // status is the literal 'unverified' in the SQL: the row in memory keeps it in column 8.
        const row = [...values.slice(0, 8), 'unverified', ...values.slice(8)];
        this.newClaims.set(id, row);
        this.claimRows.push(row);
        for (const topic of claimTopics(e.data)) this.topicRows.push([id, topic, e.position]);
        return;
      }
      case 'EvidenceAttached':
      case 'EvidenceDetached':
        this.touchClaim(e);
        return;
      case 'VerificationStatusChanged': {
        const to = e.data.to;
        const id = idFromStream(e.streamId);
        if (!isText(to)) throw new NotBatchableError('status that is not text');
        const row = this.newClaims.get(id);
        if (row) row[8] = to;
        else this.claimUpdate(id).status = to;
        this.touchClaim(e);
        return;
      }
    }
  }

  private claimUpdate(id: string) {
    let u = this.claimUpdates.get(id);
    if (!u) this.claimUpdates.set(id, (u = { version: 0, updatedAt: '', status: null }));
    return u;
  }

  private touchClaim(e: ReplayEvent): void {
    if (!isInt(e.streamVersion) || !isText(e.recordedAt)) throw new NotBatchableError('claim touch with a non-text value');
    const id = idFromStream(e.streamId);
    const row = this.newClaims.get(id);
    if (row) {
      row[9] = e.streamVersion;
      row[11] = e.recordedAt;
      return;
    }
    const u = this.claimUpdate(id);
    u.version = e.streamVersion;
    u.updatedAt = e.recordedAt;
  }

  /** The batch's statements, table by table in the order above (see writeTables). */
  async write(tx: SqlExecutor): Promise<void> {
    const { mode } = this;
    // A claim recorded in this batch took its updates in memory; updates before its insert are dropped (see above).
    for (const id of this.newClaims.keys()) this.claimUpdates.delete(id);
    await writeTables(mode, [
      async () => {
        await insertMany(tx, mode, 'claims (id, position, kind, statement, statement_norm, speaker_name, speaker_norm, made_at, status, version, recorded_at, updated_at, summary)', this.claimRows);
        await updateMany(
          tx,
          mode,
          `${mode.update} claims SET version = v.column2, updated_at = v.column3, status = COALESCE(v.column4, claims.status)`,
          'claims.id = v.column1',
          [...this.claimUpdates].map(([id, u]) => [id, u.version, u.updatedAt, u.status]),
        );
      },
      () => insertMany(tx, mode, 'claim_topics (claim_id, topic_norm, position)', this.topicRows),
    ]);
  }
}
