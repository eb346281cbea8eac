import { Logger } from '@nestjs/common';
import { canonicalize } from './canonical-json';
import type { NewEvent, StoredEvent } from '../domain/events';
import type { AppendRequest, AppendResult, InlineProjector } from './event-store.types';
import { GENESIS_HASH, eventHash, type HashInput } from './hash-chain';
import { assertKeyUnused, saveResponse, saveResponses, type SavedResponse } from './idempotency';
import type { SqlExecutor } from './sql-executor';
import { SqliteConnection } from './sqlite-connection';
import { PgConnection } from './pg-connection';
import type { WriterConnection } from './writer-connection';
import { ConcurrencyError, InvalidCommandError, UnavailableError } from '../domain/errors';
import { CanonicalJsonError } from './canonical-json';

type Clock = () => Date;

/** Called after each commit with the new head and the events that commit appended. */
export type CommitListener = (head: number, appended: readonly StoredEvent[]) => void;

interface PendingAppend {
  kind: 'append';
  request: AppendRequest;
  resolve(result: AppendResult): void;
  reject(err: unknown): void;
}

interface PendingTransaction {
  kind: 'tx';
  work(tx: SqlExecutor): Promise<unknown>;
  resolve(result: unknown): void;
  reject(err: unknown): void;
}

type Pending = PendingAppend | PendingTransaction;

/** What one group commit knows while it checks its requests one by one. */
interface BatchContext {
  /** Stream versions as the batch's earlier requests left them. */
  staged: Map<string, number>;
  /**
   * Stream versions read once for the whole batch. Exact: the events table does not change
   * between that read and the batch's own INSERT (this connection holds the write lock, and the
   * batch's rows go in last).
   */
  known: Map<string, number>;
  /**
   * Fast path only: the idempotency keys (scope + NUL + key) of this batch already in the table
   * when it began, and those saved by its earlier requests. A key in neither is unused without
   * asking; a key in either is checked the usual way (so the replay carries the stored response).
   * null on the careful path, which asks for every key.
   */
  usedKeys: Set<string> | null;
  savedKeys: Set<string>;
  /** Position of the last event each stream got earlier in this batch (for guards). */
  stagedPositions: Map<string, number>;
  /**
   * Fast path only: the read-model and idempotency writes of the batch's accepted requests, not
   * yet written. They go in together (a few multi-row statements instead of several per event)
   * before anything reads what they write (a guard, a repeated idempotency key) and before the
   * commit, so every check still sees the batch's earlier requests. null on the careful path.
   */
  deferred: { events: StoredEvent[]; responses: SavedResponse[] } | null;
}

/**
 * A projector or idempotency write failed on the fast path, which has no savepoints: the whole
 * transaction is rolled back and the batch runs again on the careful path, where that write
 * fails inside its own request's savepoint and only that request is refused.
 */
class WritePhaseFailure extends Error {
  constructor(override readonly cause: unknown) {
    super(`a write of the group commit failed: ${(cause as Error)?.message ?? String(cause)}`);
  }
}

const keyOf = (idem: { scope: string; key: string }): string => `${idem.scope}\u0000${idem.key}`;

/**
 * Waits for every write of a group sent together, then throws the first failure in the given
 * order. Not Promise.all: the transaction must not be rolled back while some are still running.
 */
async function settleAll(writes: ReadonlyArray<Promise<unknown>>): Promise<void> {
  const settled = await Promise.allSettled(writes);
  const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
}

/** Streams per version lookup, and idempotency keys per lookup: well under any bound-parameter limit. */
const LOOKUP_CHUNK = 500;

interface PreparedRow extends HashInput {
  hash: string;
}

/** Rows per INSERT statement: 9 parameters each, well under SQLite's 32766 variable limit. */
const INSERT_CHUNK = 1000;
const MAX_BATCH = 2000;

/**
 * The only writer of the ledger. Every append, from any request or job, goes through `append`,
 * which queues it; one drain loop writes whatever has queued in one `BEGIN IMMEDIATE`
 * transaction (group commit): each request is checked on its own (expected versions,
 * idempotency key) inside a SAVEPOINT, so one caller's conflict never fails another's append,
 * then all accepted events go in with multi-row inserts and one pass of the hash chain.
 * Other processes on the same file are serialised by SQLite's write lock and busy timeout.
 */
export class EventStore {
  private readonly logger = new Logger('EventStore');
  private readonly queue: Pending[] = [];
  private draining = false;
  private closed = false;
  private readonly projectors: InlineProjector[] = [];
  private readonly listeners = new Set<CommitListener>();

  constructor(
    private readonly conn: WriterConnection,
    private readonly clock: Clock = () => new Date(),
  ) {}

  static async open(path: string, clock?: Clock): Promise<EventStore> {
    return new EventStore(await SqliteConnection.open(path), clock);
  }

  /** The writer for the configured database: PostgreSQL when DATABASE_URL is set, else the SQLite file. */
  static async openFor(config: { databasePath: string; databaseUrl: string | null; databaseSchema: string | null }, clock?: Clock): Promise<EventStore> {
    if (!config.databaseUrl) return EventStore.open(config.databasePath, clock);
    return new EventStore(await PgConnection.open(config.databaseUrl, config.databaseSchema), clock);
  }

  get dialect(): 'sqlite' | 'postgres' {
    return this.conn.dialect;
  }

  registerProjector(projector: InlineProjector): void {
    if (!this.projectors.some((p) => p.name === projector.name)) this.projectors.push(projector);
  }

  get inlineProjectors(): readonly InlineProjector[] {
    return this.projectors;
  }

  /**
   * Told the new head position after every commit, with the events that commit appended (oldest
   * first; metrics count them by type): a wake-up hint, the log stays the truth.
   */
  onCommit(listener: CommitListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  append(request: AppendRequest): Promise<AppendResult> {
    if (this.closed) return Promise.reject(new UnavailableError('the event store is shutting down'));
    if (request.events.length === 0) return Promise.reject(new InvalidCommandError('nothing to append'));
    return new Promise<AppendResult>((resolve, reject) => {
      this.queue.push({ kind: 'append', request, resolve, reject });
      this.kick();
    });
  }

  /** Runs other writes (API keys, checkpoints, rebuilds) through the same single writer. */
  transaction<T>(work: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(new UnavailableError('the event store is shutting down'));
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ kind: 'tx', work, resolve: resolve as (r: unknown) => void, reject });
      this.kick();
    });
  }

  /** Waits for queued writes, then closes the writer connection. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    while (this.draining || this.queue.length > 0) await new Promise((r) => setTimeout(r, 5));
    await this.conn.close();
  }

  private kick(): void {
    if (this.draining) return;
    this.draining = true;
    setImmediate(() => void this.drain());
  }

  private async drain(): Promise<void> {
    try {
      while (this.queue.length > 0) {
        const first = this.queue[0];
        if (first.kind === 'tx') {
          this.queue.shift();
          await this.runTransaction(first);
          continue;
        }
        // Everything that queued while the previous transaction was in flight goes in together.
        let n = 0;
        while (n < this.queue.length && n < MAX_BATCH && this.queue[n].kind === 'append') n++;
        const batch = this.queue.splice(0, n) as PendingAppend[];
        await this.runAppendBatch(batch);
      }
    } finally {
      this.draining = false;
      if (this.queue.length > 0) this.kick();
    }
  }

  private async begin(): Promise<void> {
    // busy_timeout already waits for another process; a few more tries cover a checkpointing WAL.
    for (let attempt = 1; ; attempt++) {
      try {
        await this.conn.beginWrite();
        return;
      } catch (err) {
        if (!this.conn.isBusy(err) || attempt >= 3) throw err;
        await new Promise((r) => setTimeout(r, 50 * attempt));
      }
    }
  }

  private async rollbackQuietly(): Promise<void> {
    try {
      await this.conn.exec('ROLLBACK');
    } catch {
      /* no transaction open: nothing to undo */
    }
  }

  private async runTransaction(item: PendingTransaction): Promise<void> {
    try {
      await this.begin();
    } catch (err) {
      item.reject(this.asUnavailable(err));
      return;
    }
    try {
      const result = await item.work(this.conn);
      await this.conn.exec('COMMIT');
      item.resolve(result);
    } catch (err) {
      await this.rollbackQuietly();
      item.reject(err);
    }
  }

  /**
   * One group commit. The fast path (the usual one) checks every request against versions and
   * idempotency keys read once for the whole batch and takes no savepoints: a request refused by
   * its checks has written nothing. Only a failing projector or idempotency write needs a
   * request's own savepoint; then the batch is rolled back and run again `careful`ly, one
   * savepoint per request, so each caller still gets exactly its own outcome.
   */
  private async runAppendBatch(batch: PendingAppend[], careful = false): Promise<void> {
    try {
      await this.begin();
    } catch (err) {
      const failure = this.asUnavailable(err);
      for (const item of batch) item.reject(failure);
      return;
    }
    const outcomes: Array<{ ok: true; result: AppendResult } | { ok: false; error: unknown }> = [];
    let head: number;
    try {
      // The batch's reads go out together (one wait, not three): all are reads under the write lock.
      const [last, known, usedKeys] = await Promise.all([
        this.conn.get<{ position: number; hash: string; recorded_at: string }>(
          'SELECT position, hash, recorded_at FROM events ORDER BY position DESC LIMIT 1',
        ),
        this.readVersions(batch),
        careful ? null : this.readUsedKeys(batch),
      ]);
      let position = last?.position ?? 0;
      let prevHash = last?.hash ?? GENESIS_HASH;
      // recordedAt never goes backwards along the log, so "as of" cuts are prefixes of it.
      const nowIso = this.clock().toISOString();
      const recordedAt = last && last.recorded_at > nowIso ? last.recorded_at : nowIso;
      const ctx: BatchContext = {
        staged: new Map(),
        known,
        usedKeys,
        savedKeys: new Set(),
        stagedPositions: new Map(),
        deferred: careful ? null : { events: [], responses: [] },
      };
      const rows: PreparedRow[] = [];

      for (let i = 0; i < batch.length; i++) {
        const request = batch[i].request;
        if (careful) await this.conn.exec(`SAVEPOINT append_${i}`);
        try {
          const result = await this.prepare(request, position, prevHash, recordedAt, ctx, rows, careful);
          if (careful) await this.conn.exec(`RELEASE append_${i}`);
          position = result.position;
          prevHash = result.events[result.events.length - 1].hash;
          ctx.staged.set(request.streamId, result.version);
          ctx.stagedPositions.set(request.streamId, result.position);
          if (request.idempotency) ctx.savedKeys.add(keyOf(request.idempotency));
          outcomes.push({ ok: true, result });
        } catch (error) {
          if (error instanceof WritePhaseFailure) throw error; // fast path only: redo the batch carefully
          if (careful) await this.conn.exec(`ROLLBACK TO append_${i}; RELEASE append_${i}`);
          outcomes.push({ ok: false, error });
        }
      }
      // The batch's last writes go out together (one wait, not one per statement): the write
      // lock is held for fewer turns of this process's event loop. A failure of the deferred
      // writes comes first (it redoes the batch carefully), then one of the events insert.
      await settleAll([this.writeDeferred(ctx), this.insertRows(rows)]);
      await this.conn.exec('COMMIT');
      head = position;
    } catch (err) {
      await this.rollbackQuietly();
      if (err instanceof WritePhaseFailure) {
        await this.runAppendBatch(batch, true);
        return;
      }
      if (batch.length > 1) {
        // Something failed for the batch as a whole: isolate it by writing one at a time.
        this.logger.warn(`group commit of ${batch.length} failed (${(err as Error).message}); retrying singly`);
        for (const item of batch) await this.runAppendBatch([item]);
      } else {
        batch[0].reject(this.conn.isBusy(err) ? this.asUnavailable(err) : err);
      }
      return;
    }
    batch.forEach((item, i) => {
      const outcome = outcomes[i];
      if (outcome.ok) item.resolve(outcome.result);
      else item.reject(outcome.error);
    });
    const appended = outcomes.flatMap((o) => (o.ok ? o.result.events : []));
    for (const listener of this.listeners) listener(head, appended);
  }

  /**
   * Checks one request and stages its rows; throws if it cannot go in. The checks only read, so
   * a request they refuse has written nothing; its writes (projectors, idempotency record) come
   * last, and on the fast path a failure there is a WritePhaseFailure (see runAppendBatch).
   */
  private async prepare(
    request: AppendRequest,
    lastPosition: number,
    lastHash: string,
    recordedAt: string,
    ctx: BatchContext,
    rows: PreparedRow[],
    careful: boolean,
  ): Promise<AppendResult> {
    const { idempotency } = request;
    if (idempotency) {
      const k = keyOf(idempotency);
      if (!ctx.usedKeys || ctx.usedKeys.has(k) || ctx.savedKeys.has(k)) {
        await this.writeDeferred(ctx); // an earlier request of this batch may hold the key
        await assertKeyUnused(this.conn, idempotency);
      }
    }
    const current = await this.versionOf(request.streamId, ctx);
    if (request.expectedVersion !== 'any' && request.expectedVersion !== current) {
      throw new ConcurrencyError(request.streamId, request.expectedVersion, current);
    }
    for (const pre of request.preconditions ?? []) {
      const actual = await this.versionOf(pre.streamId, ctx);
      const holds = pre.expectedVersion === 'exists' ? actual > 0 : actual === pre.expectedVersion;
      if (!holds) {
        throw pre.onMismatch?.(actual) ?? new ConcurrencyError(pre.streamId, pre.expectedVersion === 'exists' ? 1 : pre.expectedVersion, actual);
      }
    }
    if (request.guard) {
      await this.writeDeferred(ctx); // the guard reads read models: they must hold the batch's earlier requests
      await request.guard(this.conn, {
        lastPosition: async (streamId) => {
          const staged = ctx.stagedPositions.get(streamId);
          if (staged !== undefined) return staged;
          const row = await this.conn.get<{ p: number | null }>('SELECT MAX(position) AS p FROM events WHERE stream_id = ?', [streamId]);
          return Number(row?.p ?? 0);
        },
      });
    }

    let metadataJson: string;
    let stored: StoredEvent[];
    const staged: PreparedRow[] = [];
    try {
      metadataJson = canonicalize(request.metadata);
      let prevHash = lastHash;
      stored = request.events.map((event: NewEvent, k) => {
        const dataJson = canonicalize(event.data);
        const row: PreparedRow = {
          position: lastPosition + k + 1,
          streamId: request.streamId,
          streamVersion: current + k + 1,
          type: event.type,
          dataJson,
          metadataJson,
          recordedAt,
          prevHash,
          hash: '',
        };
        row.hash = eventHash(row);
        prevHash = row.hash;
        staged.push(row);
        return {
          position: row.position,
          streamId: row.streamId,
          streamVersion: row.streamVersion,
          type: event.type,
          data: JSON.parse(dataJson),
          metadata: request.metadata,
          recordedAt,
          prevHash: row.prevHash,
          hash: row.hash,
        } as StoredEvent;
      });
    } catch (err) {
      if (err instanceof CanonicalJsonError) throw new InvalidCommandError(err.message);
      throw err;
    }
    const result: AppendResult = {
      streamId: request.streamId,
      version: current + stored.length,
      events: stored,
      position: stored[stored.length - 1].position,
    };
    if (ctx.deferred) {
      // Fast path: written with the batch's others (writeDeferred); a failure there redoes the batch carefully.
      try {
        ctx.deferred.events.push(...stored);
        if (idempotency) ctx.deferred.responses.push({ ctx: idempotency, response: idempotency.respond(result), at: recordedAt });
      } catch (err) {
        throw new WritePhaseFailure(err);
      }
    } else {
      for (const event of stored) {
        for (const projector of this.projectors) await projector.apply(this.conn, event);
      }
      if (idempotency) await saveResponse(this.conn, idempotency, idempotency.respond(result), recordedAt);
    }
    rows.push(...staged); // last step: a request that threw above staged no rows
    return result;
  }

  /**
   * Writes the fast path's deferred read-model and idempotency writes: per projector, one
   * `applyBatch` (SQLite) or `apply` per event in log order; the idempotency records in
   * multi-row inserts. Any failure is a WritePhaseFailure: the batch is redone carefully, where
   * each request's writes run in its own savepoint and only the failing request is refused.
   */
  private async writeDeferred(ctx: BatchContext): Promise<void> {
    const deferred = ctx.deferred;
    if (!deferred || (deferred.events.length === 0 && deferred.responses.length === 0)) return;
    const events = deferred.events.splice(0);
    const responses = deferred.responses.splice(0);
    // Projectors own disjoint tables, and the idempotency table is no projector's: independent
    // writes, sent together.
    const applyAll = async (projector: InlineProjector) => {
      if (projector.applyBatch && this.conn.dialect === 'sqlite') await projector.applyBatch(this.conn, events);
      else for (const event of events) await projector.apply(this.conn, event);
    };
    try {
      await settleAll([...this.projectors.map(applyAll), saveResponses(this.conn, responses)]);
    } catch (err) {
      throw new WritePhaseFailure(err);
    }
  }

  private async versionOf(streamId: string, ctx: BatchContext): Promise<number> {
    const inBatch = ctx.staged.get(streamId);
    if (inBatch !== undefined) return inBatch;
    const known = ctx.known.get(streamId);
    if (known !== undefined) return known;
    const row = await this.conn.get<{ v: number | null }>(
      'SELECT MAX(stream_version) AS v FROM events WHERE stream_id = ?',
      [streamId],
    );
    return row?.v ?? 0;
  }

  /** Current versions of every stream the batch names (0 for none yet), in one query per 500 streams. */
  private async readVersions(batch: PendingAppend[]): Promise<Map<string, number>> {
    const ids = new Set<string>();
    for (const { request } of batch) {
      ids.add(request.streamId);
      for (const pre of request.preconditions ?? []) ids.add(pre.streamId);
    }
    const all = [...ids];
    const known = new Map<string, number>();
    for (let i = 0; i < all.length; i += LOOKUP_CHUNK) {
      const chunk = all.slice(i, i + LOOKUP_CHUNK);
      for (const id of chunk) known.set(id, 0);
      const found = await this.conn.all<{ stream_id: string; v: number }>(
        `SELECT stream_id, MAX(stream_version) AS v FROM events WHERE stream_id IN (${chunk.map(() => '?').join(',')}) GROUP BY stream_id`,
        chunk,
      );
      for (const row of found) known.set(row.stream_id, Number(row.v));
    }
    return known;
  }

  /** Which of the batch's idempotency keys are already in the table (usually none). */
  private async readUsedKeys(batch: PendingAppend[]): Promise<Set<string>> {
    const used = new Set<string>();
    const keys = batch.flatMap(({ request }) => (request.idempotency ? [request.idempotency] : []));
    for (let i = 0; i < keys.length; i += LOOKUP_CHUNK) {
      const chunk = keys.slice(i, i + LOOKUP_CHUNK);
      const found = await this.conn.all<{ scope: string; key: string }>(
        `SELECT scope, key FROM idempotency_keys WHERE ${chunk.map(() => '(scope = ? AND key = ?)').join(' OR ')}`,
        chunk.flatMap((k) => [k.scope, k.key]),
      );
      for (const row of found) used.add(keyOf(row));
    }
    return used;
  }

  private async insertRows(rows: PreparedRow[]): Promise<void> {
    const inserts: Array<Promise<unknown>> = [];
    for (let start = 0; start < rows.length; start += INSERT_CHUNK) {
      const chunk = rows.slice(start, start + INSERT_CHUNK);
      const params: unknown[] = [];
      for (const r of chunk) {
        params.push(r.position, r.streamId, r.streamVersion, r.type, r.dataJson, r.metadataJson, r.recordedAt, r.prevHash, r.hash);
      }
      const values = new Array(chunk.length).fill('(?,?,?,?,?,?,?,?,?)').join(',');
      inserts.push(
        this.conn.run(
          `INSERT INTO events (position, stream_id, stream_version, type, data, metadata, recorded_at, prev_hash, hash) VALUES ${values}`,
          params,
        ),
      );
    }
    await settleAll(inserts);
  }

  private asUnavailable(err: unknown): Error {
    if (this.conn.isBusy(err)) return new UnavailableError('the ledger is busy; retry shortly');
    return err instanceof Error ? err : new Error(String(err));
  }
}
