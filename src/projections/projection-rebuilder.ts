import { Injectable, Logger } from '@nestjs/common';
import { EventStore } from '../ledger/event-store';
import type { EventMetadata, StoredEvent } from '../domain/events';
import type { InlineProjector } from '../ledger/event-store.types';
import type { SqlExecutor } from '../ledger/sql-executor';
import { EVENT_COLUMNS, type EventRow } from '../ledger/ledger-reader';
import { isReplaying, type ReplayBatch, type ReplayEvent, type ReplayingProjector } from './replay-batch';
import { settleAll } from './sql-batch';

export interface RebuildReport {
  events: number;
  ms: number;
  eventsPerSecond: number;
}

const PAGE = 1000;
/** Events turned into writes between two turns of the event loop (so the next statement is never kept waiting long). */
const BUILD_SLICE = 25;
/** Page cache for the rebuild's transaction on SQLite (negative: KiB), instead of the default 2 MB. */
const REBUILD_CACHE_KIB = -65536;
const PAGE_SQL = `SELECT ${EVENT_COLUMNS} FROM events WHERE position > ? ORDER BY position LIMIT ?`;
/** The fast pass reads only what ReplayEvent has (no metadata, no prevHash: less to copy out of SQLite; the hash is the Merkle tree's leaf). */
const REPLAY_PAGE_SQL = 'SELECT position, stream_id, stream_version, type, data, recorded_at, hash FROM events WHERE position > ? ORDER BY position LIMIT ?';
const RANGE_SQL = `SELECT ${EVENT_COLUMNS} FROM events WHERE position >= ? AND position <= ? ORDER BY position`;
type ReplayRow = Pick<EventRow, 'position' | 'stream_id' | 'stream_version' | 'type' | 'data' | 'recorded_at' | 'hash'>;

/**
 * SQLite errors after which the transaction is still open and as it was before the failing
 * statement (constraint, datatype, size, SQL errors): the fast pass can be undone and redone.
 * Others (I/O, full disk, out of memory, interrupt, busy) may have rolled it back: they end the rebuild.
 */
const STATEMENT_ERRORS = new Set(['SQLITE_CONSTRAINT', 'SQLITE_MISMATCH', 'SQLITE_TOOBIG', 'SQLITE_RANGE', 'SQLITE_ERROR']);

/** The fast pass hit an error it leaves to the careful pass (which fails, or not, as the replay event by event does). */
class FastPassFailed extends Error {
  constructor(readonly reason: unknown) {
    super(`fast pass failed: ${reason instanceof Error ? reason.message : String(reason)}`);
  }
}

/**
 * Empties every inline read model and replays the log through the same projector code the
 * appends use. It runs as one write transaction (readers keep seeing the old tables until it
 * commits; writers wait), reading the log in keyset pages so memory stays flat.
 *
 * On SQLite the read models' secondary indexes (non-unique, from CREATE INDEX) are dropped at
 * the start and created again from their stored SQL before the commit: building an index from
 * the finished table sorts once instead of maintaining it row by row. Then two ways to replay:
 *
 * - The fast pass, when every projector can replay in bulk (`replayBatch`): each page becomes a
 *   few multi-row statements that run without statement journals (OR FAIL) and without a
 *   savepoint per page, and the next page is read and turned into rows while this one is
 *   written. A page a projector cannot batch (its `add` throws) is replayed event by event with
 *   `apply`. If any write fails, the fast pass may have left part of a page behind: the tables
 *   are emptied again (same transaction) and the careful pass replays the whole log instead.
 * - The careful pass: per page, the projectors' `applyBatch` inside a savepoint; if that fails,
 *   the page is rolled back and replayed event by event through `apply`, which then fails (or
 *   not) exactly as the appends would have. Elsewhere than SQLite, `apply` per event only.
 *
 * Either way the tables end up equal to what `apply` on each event in log order writes.
 * Events' metadata is parsed on first access (the read models never look at it).
 */
@Injectable()
export class ProjectionRebuilder {
  private readonly logger = new Logger('Rebuild');
  private current: Promise<RebuildReport> | null = null;

  constructor(private readonly store: EventStore) {}

  get running(): boolean {
    return this.current !== null;
  }

  rebuild(onProgress: (done: number) => void = () => {}): Promise<RebuildReport> {
    if (this.current) return this.current; // one at a time; a second request joins the first
    this.current = this.run(onProgress).finally(() => (this.current = null));
    return this.current;
  }

  private run(onProgress: (done: number) => void): Promise<RebuildReport> {
    const started = Date.now();
    return this.store.transaction(async (tx) => {
      const projectors = this.store.inlineProjectors;
      // SQLite: a rebuild writes far more than the default 2 MB page cache holds, so it would spill
      // and re-read index pages all along; a bigger cache for this transaction only.
      const sqlite = this.store.dialect === 'sqlite';
      const cacheBefore = sqlite ? (await tx.get<{ cache_size: number }>('PRAGMA cache_size'))?.cache_size : undefined;
      if (sqlite) await tx.run(`PRAGMA cache_size = ${REBUILD_CACHE_KIB}`);
      try {
        return await this.replayAll(tx, projectors, started, onProgress);
      } finally {
        if (cacheBefore !== undefined) await tx.run(`PRAGMA cache_size = ${Number(cacheBefore)}`);
      }
    });
  }

  private async replayAll(
    tx: SqlExecutor,
    projectors: readonly InlineProjector[],
    started: number,
    onProgress: (done: number) => void,
  ): Promise<RebuildReport> {
    const sqlite = this.store.dialect === 'sqlite';
    await emptyTables(tx, projectors);
    const kept = new Set(projectors.flatMap((p) => (isReplaying(p) ? (p.replayIndexes ?? []) : [])));
    const indexes = sqlite ? await dropSecondaryIndexes(tx, projectors.flatMap((p) => p.tables), kept) : [];
    let done: number;
    const replaying = projectors.filter(isReplaying);
    if (sqlite && replaying.length === projectors.length) {
      try {
        done = await this.fastPass(tx, replaying, onProgress);
      } catch (err) {
        if (!(err instanceof FastPassFailed)) throw err;
        this.logger.warn(`${err.message}; emptying the read models again and replaying page by page`);
        await emptyTables(tx, projectors);
        done = await this.carefulPass(tx, projectors, onProgress);
      }
    } else {
      done = await this.carefulPass(tx, projectors, onProgress);
    }
    for (const sql of indexes) await tx.run(sql);
    const ms = Date.now() - started;
    const report = { events: done, ms, eventsPerSecond: ms > 0 ? Math.round((done * 1000) / ms) : done };
    this.logger.log(`read models rebuilt from ${done} events in ${ms} ms`);
    return report;
  }

  /**
   * Two things in flight at once: page N's statements, one after the other on the connection,
   * while page N+1 is read and built into rows in short slices between them. Writes stay in
   * log order: page N+1's first statement is issued only after page N's last one has finished.
   */
  private async fastPass(tx: SqlExecutor, projectors: readonly ReplayingProjector[], onProgress: (done: number) => void): Promise<number> {
    const read = (after: number) => tx.all<ReplayRow>(REPLAY_PAGE_SQL, [after, PAGE]);
    let done = 0;
    let next = read(0);
    let writing: Promise<void> | null = null;
    try {
      for (;;) {
        const rows = await next;
        if (rows.length === 0) break;
        // Read the page after this one while this one is built and the previous one written.
        next = read(rows[rows.length - 1].position);
        next.catch(() => undefined); // awaited on the next turn; a failure here must not go unhandled meanwhile

        let batches: ReplayBatch[] | null = projectors.map((p) => p.replayBatch());
        for (let i = 0; i < rows.length; i++) {
          const row = rows[i];
          const event: ReplayEvent = {
            position: row.position,
            streamId: row.stream_id,
            streamVersion: row.stream_version,
            type: row.type as ReplayEvent['type'],
            data: JSON.parse(row.data),
            recordedAt: row.recorded_at,
            hash: row.hash,
          };
          try {
            for (const b of batches) b.add(event);
          } catch {
            batches = null; // not batchable: this page goes event by event, as the careful pass would replay it
            break;
          }
          if ((i + 1) % BUILD_SLICE === 0 && writing) await turn();
        }

        if (writing) await writing;
        const page = batches;
        const [first, last] = [rows[0].position, rows[rows.length - 1].position];
        writing = page ? writeBatches(tx, page) : this.applyRange(tx, projectors, first, last);
        writing.catch(() => undefined); // awaited before the next page's writes (or at the end)
        done += rows.length;
        if (done % 50_000 < PAGE) onProgress(done);
      }
      if (writing) await writing;
      return done;
    } catch (err) {
      // Let what is still running settle before anything else touches the connection.
      await Promise.allSettled([writing, next]);
      throw restartable(err) ? new FastPassFailed(err) : err;
    }
  }

  /** The events from `first` to `last` (whole, metadata and all) through `apply`, one by one. */
  private async applyRange(tx: SqlExecutor, projectors: readonly InlineProjector[], first: number, last: number): Promise<void> {
    const rows = await tx.all<EventRow>(RANGE_SQL, [first, last]);
    await applyEach(tx, projectors, rows.map(toEvent));
  }

  private async carefulPass(tx: SqlExecutor, projectors: readonly InlineProjector[], onProgress: (done: number) => void): Promise<number> {
    let done = 0;
    let next = readPage(tx, 0);
    for (;;) {
      const rows = await next;
      if (rows.length === 0) break;
      // The next page is read while this one is written (the log is not what the projectors write).
      next = readPage(tx, rows[rows.length - 1].position);
      next.catch(() => undefined); // awaited on the next turn; a failure here must not go unhandled meanwhile
      await this.replayPage(tx, projectors, rows.map(toEvent));
      done += rows.length;
      if (done % 50_000 < PAGE) onProgress(done);
    }
    return done;
  }

  /** One page: batched where every projector can (they own disjoint tables), else event by event. */
  private async replayPage(tx: SqlExecutor, projectors: readonly InlineProjector[], events: StoredEvent[]): Promise<void> {
    if (this.store.dialect === 'sqlite' && projectors.every((p) => p.applyBatch)) {
      await tx.run('SAVEPOINT rebuild_page');
      try {
        for (const p of projectors) await p.applyBatch!(tx, events);
        await tx.run('RELEASE rebuild_page');
        return;
      } catch {
        await tx.run('ROLLBACK TO rebuild_page');
        await tx.run('RELEASE rebuild_page');
      }
    }
    await applyEach(tx, projectors, events);
  }
}

function readPage(tx: SqlExecutor, after: number): Promise<EventRow[]> {
  return tx.all<EventRow>(PAGE_SQL, [after, PAGE]);
}

/** The projectors own disjoint tables: their batches' statements are sent together (see writeTables). */
async function writeBatches(tx: SqlExecutor, batches: readonly ReplayBatch[]): Promise<void> {
  await settleAll(batches.map((b) => b.write(tx)));
}

async function applyEach(tx: SqlExecutor, projectors: readonly InlineProjector[], events: readonly StoredEvent[]): Promise<void> {
  for (const event of events) {
    for (const p of projectors) await p.apply(tx, event);
  }
}

async function emptyTables(tx: SqlExecutor, projectors: readonly InlineProjector[]): Promise<void> {
  for (const p of projectors) for (const table of p.tables) await tx.run(`DELETE FROM ${table}`);
}

/** Non-unique CREATE INDEX indexes of the tables (but `kept`) are dropped; returns their SQL, to create them again. */
async function dropSecondaryIndexes(tx: SqlExecutor, tables: readonly string[], kept: ReadonlySet<string>): Promise<string[]> {
  const dropped: string[] = [];
  for (const table of tables) {
    const list = await tx.all<{ name: string; unique: number; origin: string }>(`PRAGMA index_list(${quoteId(table)})`);
    for (const index of list) {
      if (index.origin !== 'c' || index.unique) continue; // keys and UNIQUE constraints stay: they check the rows
      if (kept.has(index.name)) continue; // the replay looks rows up by it
      const row = await tx.get<{ sql: string | null }>(`SELECT sql FROM sqlite_master WHERE type = 'index' AND name = ?`, [index.name]);
      if (!row?.sql) continue;
      await tx.run(`DROP INDEX ${quoteId(index.name)}`);
      dropped.push(row.sql);
    }
  }
  return dropped;
}

function quoteId(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

function restartable(err: unknown): boolean {
  const code = (err as { code?: unknown })?.code;
  return typeof code !== 'string' || !code.startsWith('SQLITE_') || STATEMENT_ERRORS.has(code);
}

function turn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** As rowToEvent, but the metadata is parsed on first access (the read models never read it). */
class ReplayedEvent {
  readonly position: number;
  readonly streamId: string;
  readonly streamVersion: number;
  readonly type: string;
  readonly data: unknown;
  readonly recordedAt: string;
  readonly prevHash: string;
  readonly hash: string;
  private metadataText: string | null;
  private parsedMetadata: EventMetadata | undefined;

  constructor(row: EventRow) {
    this.position = row.position;
    this.streamId = row.stream_id;
    this.streamVersion = row.stream_version;
    this.type = row.type;
    this.data = JSON.parse(row.data);
    this.recordedAt = row.recorded_at;
    this.prevHash = row.prev_hash;
    this.hash = row.hash;
    this.metadataText = row.metadata;
  }

  get metadata(): EventMetadata {
    if (this.metadataText !== null) {
      this.parsedMetadata = JSON.parse(this.metadataText) as EventMetadata;
      this.metadataText = null;
    }
    return this.parsedMetadata as EventMetadata;
  }
}

function toEvent(row: EventRow): StoredEvent {
  return new ReplayedEvent(row) as unknown as StoredEvent;
}
