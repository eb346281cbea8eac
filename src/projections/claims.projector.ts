import type { ClaimRecordedData, EvidenceSubmittedData, StoredEvent } from '../domain/events';
import type { InlineProjector } from '../ledger/event-store.types';
import type { SqlExecutor } from '../ledger/sql-executor';
import type { ReplayBatch, ReplayEvent, ReplayingProjector } from './replay-batch';

export const normalizeText = (s: string): string => s.trim().toLowerCase();
export const idFromStream = (streamId: string): string => streamId.slice(streamId.indexOf('-') + 1);

const INSERT_CLAIM = `INSERT INTO claims (id, position, kind, statement, statement_norm, speaker_name, speaker_norm, made_at, status, version, recorded_at, updated_at, summary)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'unverified', ?, ?, ?, ?)`;
const INSERT_TOPIC = 'INSERT INTO claim_topics (claim_id, topic_norm, position) VALUES (?, ?, ?)';
const INSERT_SCOPE = 'INSERT INTO pledge_scopes (claim_id, position, scope) VALUES (?, ?, ?)';
const INSERT_EVIDENCE = 'INSERT INTO evidence (id, position, claim_id, is_report, data, recorded_at) VALUES (?, ?, ?, ?, ?, ?)';
const INSERT_ATTACHMENT = `INSERT INTO attachments (claim_id, evidence_id, stance, attached_by, attached_at, attached_position)
           VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (claim_id, evidence_id) DO NOTHING`;

/** The bound values of each write, shared by `apply` and `applyBatch` so the two cannot drift. */
function claimValues(e: ReplayEvent & { data: ClaimRecordedData }): unknown[] {
  const c = e.data;
  const summary = { kind: c.kind, statement: c.statement, speaker: c.speaker, madeAt: c.madeAt, source: c.source, topics: c.topics };
  return [idFromStream(e.streamId), e.position, c.kind, c.statement, normalizeText(c.statement), c.speaker.name, normalizeText(c.speaker.name), c.madeAt,
    e.streamVersion, e.recordedAt, e.recordedAt, JSON.stringify(summary)];
}
function claimTopics(c: ClaimRecordedData): string[] {
  return [...new Set(c.topics.map(normalizeText))];
}
function hasScope(c: ClaimRecordedData): boolean {
  return c.kind === 'pledge' && !!c.scope;
}
function evidenceValues(e: ReplayEvent): unknown[] {
  const d = e.data as EvidenceSubmittedData;
  return [idFromStream(e.streamId), e.position, d.claimId, d.claimId ? 0 : 1, JSON.stringify(d), e.recordedAt];
}
function attachmentValues(e: ReplayEvent): unknown[] {
  const d = e.data as { evidenceId: string; stance: string; attachedBy: string };
  return [idFromStream(e.streamId), d.evidenceId, d.stance, d.attachedBy, e.recordedAt, e.position];
}

/**
 * Read models written in the append's own transaction: the claims list (filters, status),
 * pledge scopes (for the matcher), evidence and attachments (for the evidence view and the
 * jobs). Every table here is derived: a rebuild empties them and replays the log through `apply`
 * (page by page through `applyBatch`, which writes the same rows with a few multi-row statements).
 */
export class ReadModelProjector implements InlineProjector, ReplayingProjector {
  readonly name = 'read-models';
  readonly tables = ['claims', 'claim_topics', 'pledge_scopes', 'evidence', 'attachments'] as const;

  async apply(tx: SqlExecutor, e: StoredEvent): Promise<void> {
    switch (e.type) {
      case 'ClaimRecorded':
        return this.claimRecorded(tx, e.streamId, e as StoredEvent & { data: ClaimRecordedData });
      case 'EvidenceAttached': {
        await tx.run(INSERT_ATTACHMENT, attachmentValues(e));
        return this.touchClaim(tx, e);
      }
      case 'EvidenceDetached': {
        const d = e.data as { evidenceId: string };
        await tx.run('UPDATE attachments SET detached_position = ? WHERE claim_id = ? AND evidence_id = ?', [
          e.position, idFromStream(e.streamId), d.evidenceId,
        ]);
        return this.touchClaim(tx, e);
      }
      case 'VerificationStatusChanged':
        await tx.run('UPDATE claims SET status = ? WHERE id = ?', [(e.data as { to: string }).to, idFromStream(e.streamId)]);
        return this.touchClaim(tx, e);
      case 'EvidenceSubmitted': {
        await tx.run(INSERT_EVIDENCE, evidenceValues(e));
        return;
      }
      case 'EvidenceRetracted':
        await tx.run('UPDATE evidence SET retracted_at = ?, retraction_reason = ? WHERE id = ?', [
          e.recordedAt, (e.data as { reason: string }).reason, idFromStream(e.streamId),
        ]);
        return;
    }
  }

  /**
   * The same rows as `apply` on each event in order, in a few multi-row statements (SQLite:
   * UPDATE … FROM VALUES). Exact, not approximate: see ReadModelBatch. It throws whenever one
   * of those `apply` calls would (the caller then replays the events one by one, to fail with
   * the very same error), and also, to stay exact, on values it cannot prove harmless to merge.
   */
  async applyBatch(tx: SqlExecutor, events: readonly StoredEvent[]): Promise<void> {
    const batch = new ReadModelBatch();
    for (const e of events) batch.add(e);
    await batch.write(tx);
  }

  /**
   * For the rebuild's fast pass (SQLite): a ReadModelBatch whose statements run without
   * statement journals (OR FAIL), so a failing write may leave part of its rows behind; the
   * rebuilder then starts over on its careful path (see ProjectionRebuilder).
   */
  replayBatch(): ReplayBatch {
    return new ReadModelBatch({ unjournaled: true });
  }

  private async claimRecorded(tx: SqlExecutor, streamId: string, e: StoredEvent & { data: ClaimRecordedData }): Promise<void> {
    const id = idFromStream(streamId);
    const c = e.data;
    await tx.run(INSERT_CLAIM, claimValues(e));
    const topics = claimTopics(c);
    for (const topic of topics) {
      await tx.run(INSERT_TOPIC, [id, topic, e.position]);
    }
    if (hasScope(c)) {
      await tx.run(INSERT_SCOPE, [id, e.position, JSON.stringify(c.scope)]);
    }
  }

  private async touchClaim(tx: SqlExecutor, e: StoredEvent): Promise<void> {
    await tx.run('UPDATE claims SET version = ?, updated_at = ? WHERE id = ?', [e.streamVersion, e.recordedAt, idFromStream(e.streamId)]);
  }
}

/** Thrown by ReadModelBatch when merging would not provably give what `apply` one by one gives. */
export class NotBatchableError extends Error {}

const isText = (v: unknown): v is string => typeof v === 'string';
const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v);

/** Rows per multi-row statement: at most 13 parameters each, well under SQLite's 32766. */
const ROWS_PER_STATEMENT = 500;

/**
 * A page of events turned into multi-row writes with the same end state as `apply` on each in
 * order. Why that holds, table by table (none has triggers or foreign keys, so tables are
 * independent of each other):
 *
 * - claims, evidence (plain INSERT, then UPDATEs by id). A row inserted in the batch takes its
 *   later updates in memory. An update before the row's insert in the same batch is dropped:
 *   with no such row yet it was a no-op, and with one the insert fails anyway (then the whole
 *   batch fails, as `apply` would have). Rows not inserted in the batch get one UPDATE with
 *   each column's last value: the updates only set columns to given values, so only the last
 *   one shows. A duplicate insert in the batch fails like the second `apply` would.
 * - attachments (INSERT … ON CONFLICT DO NOTHING; detach = UPDATE by key). Per key, only the
 *   first attach can insert; a detach before it is applied before the inserts (it hits a row
 *   that already existed, if any), the last detach after it is applied after them.
 * - claim_topics, pledge_scopes: plain inserts.
 *
 * Dropping or merging a write is only harmless if that write could not have failed on its own,
 * so every value of a merged or dropped write must be a string or a safe integer (NOT NULL
 * columns, no odd bindings); anything else throws NotBatchableError and the caller replays the
 * events one by one instead.
 */
export class ReadModelBatch implements ReplayBatch {
  private readonly mode: WriteMode;

  /**
   * `unjournaled` (the rebuild's fast pass): OR FAIL statements, which need no statement journal
   * (a failing one keeps the rows it wrote before), with integers and NULLs as SQL literals
   * (statements never repeat, so no use keeping them prepared).
   */
  constructor(opts: { unjournaled?: boolean } = {}) {
    this.mode = opts.unjournaled
      ? { insert: 'INSERT OR FAIL INTO', update: 'UPDATE OR FAIL', literals: true }
      : { insert: 'INSERT INTO', update: 'UPDATE', literals: false };
  }

  private readonly claimRows: unknown[][] = [];
  private readonly newClaims = new Map<string, unknown[]>();
  private readonly claimUpdates = new Map<string, { version: number; updatedAt: string; status: string | null }>();
  private readonly topicRows: unknown[][] = [];
  private readonly scopeRows: unknown[][] = [];
  /** Evidence rows in insert order; a retraction later in the batch fills the last two columns. */
  private readonly evidenceRows: unknown[][] = [];
  private readonly newEvidence = new Map<string, unknown[]>();
  private readonly evidenceUpdates = new Map<string, { at: string; reason: string | null }>();
  private readonly attachments = new Map<string, { row: unknown[] | null; before: number | null; after: number | null; claimId: string; evidenceId: string }>();
  /** Rows inserted in the order of their first attach (rowids come out as with `apply`). */
  private readonly attachmentRows: unknown[][] = [];

  add(e: ReplayEvent): void {
    switch (e.type) {
      case 'ClaimRecorded': {
        const values = claimValues(e as ReplayEvent & { data: ClaimRecordedData });
        const id = values[0] as string;
        if (this.newClaims.has(id)) throw new NotBatchableError(`claim ${id} recorded twice`); // apply fails there too
        // status is the literal 'unverified' in the SQL: the row in memory keeps it in column 8.
        const row = [...values.slice(0, 8), 'unverified', ...values.slice(8)];
        this.newClaims.set(id, row);
        this.claimRows.push(row);
        const c = e.data as ClaimRecordedData;
        for (const topic of claimTopics(c)) this.topicRows.push([id, topic, e.position]);
        if (hasScope(c)) this.scopeRows.push([id, e.position, JSON.stringify(c.scope)]);
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
        this.touchClaim(e);
        return;
      }
      case 'EvidenceDetached': {
        const claimId = idFromStream(e.streamId);
        const evidenceId = (e.data as { evidenceId: string }).evidenceId;
        if (!isText(evidenceId) || !isInt(e.position)) throw new NotBatchableError('detach with a non-text value');
        const key = `${claimId}\u0000${evidenceId}`;
        const a = this.attachments.get(key) ?? { row: null, before: null, after: null, claimId, evidenceId };
        this.attachments.set(key, a);
        if (a.row) a.after = e.position;
        else a.before = e.position;
        this.touchClaim(e);
        return;
      }
      case 'VerificationStatusChanged': {
        const to = (e.data as { to: string }).to;
        const id = idFromStream(e.streamId);
        if (!isText(to)) throw new NotBatchableError('status that is not text');
        const row = this.newClaims.get(id);
        if (row) row[8] = to;
        else this.claimUpdate(id).status = to;
        this.touchClaim(e);
        return;
      }
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
        const reason = (e.data as { reason: string }).reason;
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

  /**
   * The batch's statements, table by table in the order above. The tables are independent (see
   * the class comment): in the unjournaled mode their statements are sent at once, each table's
   * in order, so the connection always has the next one queued; otherwise one after the other.
   */
  async write(tx: SqlExecutor): Promise<void> {
    const { mode } = this;
    const { update } = mode;
    // A claim recorded in this batch took its updates in memory; updates before its insert are dropped (see above).
    for (const id of this.newClaims.keys()) this.claimUpdates.delete(id);
    const all = [...this.attachments.values()];
    const detach = (rows: Array<[string, string, number]>) =>
      updateMany(tx, mode, `${update} attachments SET detached_position = v.column3`, 'attachments.claim_id = v.column1 AND attachments.evidence_id = v.column2', rows);
    const tables: Array<() => Promise<void>> = [
      async () => {
        await insertMany(tx, mode, 'claims (id, position, kind, statement, statement_norm, speaker_name, speaker_norm, made_at, status, version, recorded_at, updated_at, summary)', this.claimRows);
        await updateMany(
          tx,
          mode,
          `${update} claims SET version = v.column2, updated_at = v.column3, status = COALESCE(v.column4, claims.status)`,
          'claims.id = v.column1',
          [...this.claimUpdates].map(([id, u]) => [id, u.version, u.updatedAt, u.status]),
        );
      },
      () => insertMany(tx, mode, 'claim_topics (claim_id, topic_norm, position)', this.topicRows),
      () => insertMany(tx, mode, 'pledge_scopes (claim_id, position, scope)', this.scopeRows),
      async () => {
        // Evidence retracted in the batch after its insert: the insert carries the retraction.
        await insertMany(tx, mode, 'evidence (id, position, claim_id, is_report, data, recorded_at, retracted_at, retraction_reason)', this.evidenceRows);
        await updateMany(
          tx,
          mode,
          `${update} evidence SET retracted_at = v.column2, retraction_reason = v.column3`,
          'evidence.id = v.column1',
          [...this.evidenceUpdates].map(([id, u]) => [id, u.at, u.reason]),
        );
      },
      async () => {
        await detach(all.filter((a) => a.before !== null).map((a) => [a.claimId, a.evidenceId, a.before!]));
        await insertMany(tx, mode, 'attachments (claim_id, evidence_id, stance, attached_by, attached_at, attached_position)', this.attachmentRows, ' ON CONFLICT (claim_id, evidence_id) DO NOTHING');
        await detach(all.filter((a) => a.after !== null).map((a) => [a.claimId, a.evidenceId, a.after!]));
      },
    ];
    if (!mode.literals) {
      for (const table of tables) await table();
      return;
    }
    // Every statement settles before this returns (a failure must not leave some still running).
    const settled = await Promise.allSettled(tables.map((table) => table()));
    const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  }
}

interface WriteMode {
  insert: string;
  update: string;
  /** The rebuild's mode: literals in the SQL, and the tables' statements sent together. */
  literals: boolean;
}

async function insertMany(tx: SqlExecutor, mode: WriteMode, into: string, rows: unknown[][], tail = ''): Promise<void> {
  for (let i = 0; i < rows.length; i += ROWS_PER_STATEMENT) {
    const { values, params } = chunkOf(rows, i, mode.literals);
    await tx.run(`${mode.insert} ${into} VALUES ${values}${tail}`, params);
  }
}

async function updateMany(tx: SqlExecutor, mode: WriteMode, set: string, where: string, rows: unknown[][]): Promise<void> {
  for (let i = 0; i < rows.length; i += ROWS_PER_STATEMENT) {
    const { values, params } = chunkOf(rows, i, mode.literals);
    await tx.run(`${set} FROM (VALUES ${values}) AS v WHERE ${where}`, params);
  }
}

/**
 * Rows from `start` (at most ROWS_PER_STATEMENT, all as wide as the first): their `(…), …` and
 * the values to bind. With `literals` (for statements that never repeat), NULLs and 32-bit
 * integers are written into the SQL instead: SQLite stores exactly what it would for the bound
 * value (sqlite3 binds a number as an integer only in that range, any other as a REAL: those stay
 * bound), and sqlite3 spends far more per bound number or NULL (allocations, type probes) than
 * SQLite does parsing a few digits.
 */
function chunkOf(rows: unknown[][], start: number, literals: boolean): { values: string; params: unknown[] } {
  const end = Math.min(rows.length, start + ROWS_PER_STATEMENT);
  const width = rows[start].length;
  const params: unknown[] = [];
  let values = '';
  for (let r = start; r < end; r++) {
    const row = rows[r];
    values += r === start ? '(' : ', (';
    for (let c = 0; c < width; c++) {
      const v = row[c];
      if (c > 0) values += ', ';
      if (literals && v === null) values += 'NULL';
      else if (literals && typeof v === 'number' && (v | 0) === v) values += String(v);
      else {
        values += '?';
        params.push(v);
      }
    }
    values += ')';
  }
  return { values, params };
}
