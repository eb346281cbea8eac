import { Logger } from '@nestjs/common';
import { canonicalize } from './canonical-json';
import type { NewEvent, StoredEvent } from './event-catalogue';
import type { AppendRequest, AppendResult, InlineProjector } from './event-store.types';
import { GENESIS_HASH, eventHash } from './hash-chain';
import { assertKeyUnused, saveResponse } from '../common/idempotency';
import type { SqlExecutor } from './sql-executor';
import { SqliteConnection, isSqliteBusy } from './sqlite-connection';
import { ConcurrencyError, InvalidCommandError, UnavailableError } from '../common/errors';
import { CanonicalJsonError } from './canonical-json';

type Clock = () => Date;

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

interface PreparedRow {
  position: number;
  streamId: string;
  streamVersion: number;
  type: string;
  dataJson: string;
  metadataJson: string;
  recordedAt: string;
  prevHash: string;
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
  private readonly listeners = new Set<(head: number) => void>();

  constructor(
    private readonly conn: SqliteConnection,
    private readonly clock: Clock = () => new Date(),
  ) {}

  static async open(path: string, clock?: Clock): Promise<EventStore> {
    return new EventStore(await SqliteConnection.open(path), clock);
  }

  registerProjector(projector: InlineProjector): void {
    if (!this.projectors.some((p) => p.name === projector.name)) this.projectors.push(projector);
  }

  get inlineProjectors(): readonly InlineProjector[] {
    return this.projectors;
  }

  /** Told the new head position after every commit: a wake-up hint, the log stays the truth. */
  onCommit(listener: (head: number) => void): () => void {
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
        await this.conn.exec('BEGIN IMMEDIATE');
        return;
      } catch (err) {
        if (!isSqliteBusy(err) || attempt >= 3) throw err;
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

  private async runAppendBatch(batch: PendingAppend[]): Promise<void> {
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
      const last = await this.conn.get<{ position: number; hash: string; recorded_at: string }>(
        'SELECT position, hash, recorded_at FROM events ORDER BY position DESC LIMIT 1',
      );
      let position = last?.position ?? 0;
      let prevHash = last?.hash ?? GENESIS_HASH;
      // recordedAt never goes backwards along the log, so "as of" cuts are prefixes of it.
      const nowIso = this.clock().toISOString();
      const recordedAt = last && last.recorded_at > nowIso ? last.recorded_at : nowIso;
      const versions = new Map<string, number>();
      const rows: PreparedRow[] = [];

      for (let i = 0; i < batch.length; i++) {
        const request = batch[i].request;
        await this.conn.exec(`SAVEPOINT append_${i}`);
        try {
          const result = await this.prepare(request, position, prevHash, recordedAt, versions, rows);
          await this.conn.exec(`RELEASE append_${i}`);
          position = result.position;
          prevHash = result.events[result.events.length - 1].hash;
          versions.set(request.streamId, result.version);
          outcomes.push({ ok: true, result });
        } catch (error) {
          await this.conn.exec(`ROLLBACK TO append_${i}; RELEASE append_${i}`);
          outcomes.push({ ok: false, error });
        }
      }
      await this.insertRows(rows);
      await this.conn.exec('COMMIT');
      head = position;
    } catch (err) {
      await this.rollbackQuietly();
      if (batch.length > 1) {
        // Something failed for the batch as a whole: isolate it by writing one at a time.
        this.logger.warn(`group commit of ${batch.length} failed (${(err as Error).message}); retrying singly`);
        for (const item of batch) await this.runAppendBatch([item]);
      } else {
        batch[0].reject(isSqliteBusy(err) ? this.asUnavailable(err) : err);
      }
      return;
    }
    batch.forEach((item, i) => {
      const outcome = outcomes[i];
      if (outcome.ok) item.resolve(outcome.result);
      else item.reject(outcome.error);
    });
    for (const listener of this.listeners) listener(head);
  }

  /** Checks one request and stages its rows; throws (inside its savepoint) if it cannot go in. */
  private async prepare(
    request: AppendRequest,
    lastPosition: number,
    lastHash: string,
    recordedAt: string,
    versions: Map<string, number>,
    rows: PreparedRow[],
  ): Promise<AppendResult> {
    const { idempotency } = request;
    if (idempotency) await assertKeyUnused(this.conn, idempotency);
    const current = await this.versionOf(request.streamId, versions);
    if (request.expectedVersion !== 'any' && request.expectedVersion !== current) {
      throw new ConcurrencyError(request.streamId, request.expectedVersion, current);
    }
    for (const pre of request.preconditions ?? []) {
      const actual = await this.versionOf(pre.streamId, versions);
      if (actual !== pre.expectedVersion) throw new ConcurrencyError(pre.streamId, pre.expectedVersion, actual);
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
    for (const event of stored) {
      for (const projector of this.projectors) await projector.apply(this.conn, event);
    }
    const result: AppendResult = {
      streamId: request.streamId,
      version: current + stored.length,
      events: stored,
      position: stored[stored.length - 1].position,
    };
    if (idempotency) await saveResponse(this.conn, idempotency, idempotency.respond(result), recordedAt);
    rows.push(...staged); // last step: a request that threw above staged no rows
    return result;
  }

  private async versionOf(streamId: string, staged: Map<string, number>): Promise<number> {
    const inBatch = staged.get(streamId);
    if (inBatch !== undefined) return inBatch;
    const row = await this.conn.get<{ v: number | null }>(
      'SELECT MAX(stream_version) AS v FROM events WHERE stream_id = ?',
      [streamId],
    );
    return row?.v ?? 0;
  }

  private async insertRows(rows: PreparedRow[]): Promise<void> {
    for (let start = 0; start < rows.length; start += INSERT_CHUNK) {
      const chunk = rows.slice(start, start + INSERT_CHUNK);
      const params: unknown[] = [];
      for (const r of chunk) {
        params.push(r.position, r.streamId, r.streamVersion, r.type, r.dataJson, r.metadataJson, r.recordedAt, r.prevHash, r.hash);
      }
      const values = new Array(chunk.length).fill('(?,?,?,?,?,?,?,?,?)').join(',');
      await this.conn.run(
        `INSERT INTO events (position, stream_id, stream_version, type, data, metadata, recorded_at, prev_hash, hash) VALUES ${values}`,
        params,
      );
    }
  }

  private asUnavailable(err: unknown): Error {
    if (isSqliteBusy(err)) return new UnavailableError('the ledger is busy; retry shortly');
    return err instanceof Error ? err : new Error(String(err));
  }
}
