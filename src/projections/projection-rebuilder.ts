import { Injectable, Logger } from '@nestjs/common';
import { EventStore } from '../ledger/event-store';
import { EVENT_COLUMNS, rowToEvent, type EventRow } from '../ledger/ledger-reader';

export interface RebuildReport {
  events: number;
  ms: number;
  eventsPerSecond: number;
}

const PAGE = 2000;

/**
 * Empties every inline read model and replays the log through the same projector code the
 * appends use. It runs as one write transaction (readers keep seeing the old tables until it
 * commits; writers wait), reading the log in keyset pages so memory stays flat.
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
      for (const p of projectors) for (const table of p.tables) await tx.run(`DELETE FROM ${table}`);
      let after = 0;
      let done = 0;
      for (;;) {
        const rows = await tx.all<EventRow>(`SELECT ${EVENT_COLUMNS} FROM events WHERE position > ? ORDER BY position LIMIT ?`, [after, PAGE]);
        if (rows.length === 0) break;
        for (const row of rows) {
          const event = rowToEvent(row);
          for (const p of projectors) await p.apply(tx, event);
        }
        done += rows.length;
        after = rows[rows.length - 1].position;
        if (done % 50_000 < PAGE) onProgress(done);
      }
      const ms = Date.now() - started;
      const report = { events: done, ms, eventsPerSecond: ms > 0 ? Math.round((done * 1000) / ms) : done };
      this.logger.log(`read models rebuilt from ${done} events in ${ms} ms`);
      return report;
    });
  }
}
