import { Injectable, Logger } from '@nestjs/common';
import { EventStore } from '../ledger/event-store';
import type { StoredEvent } from '../ledger/event-catalogue';
import type { InlineProjector } from '../ledger/event-store.types';
import type { SqlExecutor } from '../ledger/sql-executor';
import { EVENT_COLUMNS, rowToEvent, type EventRow } from '../ledger/ledger-reader';

export interface RebuildReport {
  events: number;
  ms: number;
  eventsPerSecond: number;
}

const PAGE = 2000;
/** Page cache for the rebuild's transaction on SQLite (negative: KiB), instead of the default 2 MB. */
const REBUILD_CACHE_KIB = -262144;

/**
 * Empties every inline read model and replays the log through the same projector code the
 * appends use. It runs as one write transaction (readers keep seeing the old tables until it
 * commits; writers wait), reading the log in keyset pages so memory stays flat. On SQLite each
 * page is written with the projectors' `applyBatch` (a few multi-row statements instead of one
 * or more per event: ~40× faster), inside a savepoint; if that fails, the page is rolled back
 * and replayed event by event through `apply`, which then fails (or not) exactly as before.
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
    for (const p of projectors) for (const table of p.tables) await tx.run(`DELETE FROM ${table}`);
    const tables = projectors.flatMap((p) => p.tables);
    const indexes = this.store.dialect === 'sqlite'
      ? await tx.all<{ name: string; sql: string }>(
          `SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL AND tbl_name IN (${tables.map(() => '?').join(', ')})`, tables)
      : [];
    for (const i of indexes) await tx.run(`DROP INDEX "${i.name}"`);
    const page = (after: number) =>
      tx.all<EventRow>(`SELECT ${EVENT_COLUMNS} FROM events WHERE position > ? ORDER BY position LIMIT ?`, [after, PAGE]);
    let done = 0;
    let next = page(0);
    for (;;) {
      const rows = await next;
      if (rows.length === 0) break;
      // The next page is read while this one is written (the log is not what the projectors write).
      next = page(rows[rows.length - 1].position);
      next.catch(() => undefined); // awaited on the next turn; a failure here must not go unhandled meanwhile
      await this.replayPage(tx, projectors, rows.map(rowToEvent));
      done += rows.length;
      if (done % 50_000 < PAGE) onProgress(done);
    }
    for (const i of indexes) await tx.run(i.sql);
    const ms = Date.now() - started;
    const report = { events: done, ms, eventsPerSecond: ms > 0 ? Math.round((done * 1000) / ms) : done };
    this.logger.log(`read models rebuilt from ${done} events in ${ms} ms`);
    return report;
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
    for (const event of events) {
      for (const p of projectors) await p.apply(tx, event);
    }
  }
}
