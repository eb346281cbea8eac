import type { DataSource } from 'typeorm';
import type { EventStore } from '../ledger/event-store';
import type { JobData, QueueName } from './job-plan';

export type DeadLetterState = 'dead' | 'retrying' | 'resolved';
export const DEAD_LETTER_STATES: readonly DeadLetterState[] = ['dead', 'retrying', 'resolved'];

/**
 * A verification job that failed all its attempts (table `dead_letters`). Its id is the job id,
 * so a retry re-enqueues the very same job (BullMQ keeps one job per id; the handlers append
 * nothing for work already done), and recording one failure twice keeps one row.
 */
export interface DeadLetter {
  id: string;
  queue: QueueName;
  data: JobData;
  /** The log position of the event that planned the job. */
  position: number;
  lastError: string;
  /** Attempts made in all, over every retry. */
  attempts: number;
  /** dead: waits for an admin; retrying: re-enqueued, not yet done; resolved: a retry completed. */
  state: DeadLetterState;
  failedAt: string;
  retries: number;
  retriedAt: string | null;
  resolvedAt: string | null;
}

interface Row {
  id: string;
  queue: string;
  data: string;
  position: number | string;
  last_error: string;
  attempts: number | string;
  state: string;
  failed_at: string;
  retries: number | string;
  retried_at: string | null;
  resolved_at: string | null;
}

const fromRow = (r: Row): DeadLetter => ({
  id: r.id,
  queue: r.queue as QueueName,
  data: JSON.parse(r.data) as JobData,
  position: Number(r.position),
  lastError: r.last_error,
  attempts: Number(r.attempts),
  state: r.state as DeadLetterState,
  failedAt: r.failed_at,
  retries: Number(r.retries),
  retriedAt: r.retried_at,
  resolvedAt: r.resolved_at,
});

/** Error texts can be long (stack-like messages): the row keeps the first part. */
const ERROR_LIMIT = 2000;

export interface FailedJob {
  id: string;
  queue: QueueName;
  data: JobData;
  lastError: string;
  /** Attempts of this run (since it was last enqueued or retried). */
  attempts: number;
  failedAt: Date;
}

/** The dead-letter table: recorded by the dispatcher (BullMQ) or the in-process sink, read and retried by admins. */
export class DeadLetterStore {
  constructor(
    private readonly store: EventStore,
    private readonly ds: DataSource,
  ) {}

  /**
   * Records failures. A job with no row gets one (dead); a row being retried whose job failed
   * again (after the retry was asked for) becomes dead again, its attempts added. A row already
   * dead is left as it is, so the same failure seen on every sweep changes nothing; a failure from
   * before the retry (seen while the retry is on its way to the queue) changes nothing either.
   */
  async record(failed: FailedJob[]): Promise<number> {
    if (failed.length === 0) return 0;
    return this.store.transaction(async (tx) => {
      let changed = 0;
      for (const f of failed) {
        const at = f.failedAt.toISOString();
        const error = f.lastError.slice(0, ERROR_LIMIT);
        const r = await tx.run(
          `INSERT INTO dead_letters (id, queue, data, position, last_error, attempts, state, failed_at, retries)
           VALUES (?, ?, ?, ?, ?, ?, 'dead', ?, 0)
           ON CONFLICT (id) DO UPDATE SET state = 'dead', last_error = excluded.last_error, failed_at = excluded.failed_at,
             attempts = dead_letters.attempts + excluded.attempts
           WHERE dead_letters.state <> 'dead' AND (dead_letters.retried_at IS NULL OR dead_letters.retried_at <= excluded.failed_at)`,
          [f.id, f.queue, JSON.stringify(f.data), f.data.position, error, f.attempts, at],
        );
        changed += r.changes;
      }
      return changed;
    });
  }

  async get(id: string): Promise<DeadLetter | null> {
    const rows: Row[] = await this.ds.query('SELECT * FROM dead_letters WHERE id = ?', [id]);
    return rows[0] ? fromRow(rows[0]) : null;
  }

  /** Rows by state (all states when none is given), lowest position first, after the given id's position. */
  async list(options: { states?: readonly DeadLetterState[]; limit: number; afterPosition?: number; afterId?: string }): Promise<DeadLetter[]> {
    const states = options.states?.length ? options.states : DEAD_LETTER_STATES;
    const params: unknown[] = [...states];
    let where = `state IN (${states.map(() => '?').join(', ')})`;
    if (options.afterPosition !== undefined) {
      where += ' AND (position > ? OR (position = ? AND id > ?))';
      params.push(options.afterPosition, options.afterPosition, options.afterId ?? '');
    }
    params.push(options.limit);
    const rows: Row[] = await this.ds.query(`SELECT * FROM dead_letters WHERE ${where} ORDER BY position, id LIMIT ?`, params);
    return rows.map(fromRow);
  }

  /** Rows per state, every state present (0 when none). */
  async counts(): Promise<Record<DeadLetterState, number>> {
    const rows: Array<{ state: string; n: number | string }> = await this.ds.query('SELECT state, COUNT(*) AS n FROM dead_letters GROUP BY state');
    const out: Record<DeadLetterState, number> = { dead: 0, retrying: 0, resolved: 0 };
    for (const r of rows) if (r.state in out) out[r.state as DeadLetterState] = Number(r.n);
    return out;
  }

  /** Which of these ids have a row, with its state. */
  async states(ids: string[]): Promise<Map<string, DeadLetterState>> {
    const out = new Map<string, DeadLetterState>();
    for (let i = 0; i < ids.length; i += 500) {
      const chunk = ids.slice(i, i + 500);
      const rows: Array<{ id: string; state: string }> = await this.ds.query(
        `SELECT id, state FROM dead_letters WHERE id IN (${chunk.map(() => '?').join(', ')})`,
        chunk,
      );
      for (const r of rows) out.set(r.id, r.state as DeadLetterState);
    }
    return out;
  }

  /** dead → retrying (a retry was asked for); true if this call moved it. */
  async markRetrying(id: string, now = new Date()): Promise<boolean> {
    const r = await this.store.transaction((tx) =>
      tx.run(`UPDATE dead_letters SET state = 'retrying', retries = retries + 1, retried_at = ? WHERE id = ? AND state = 'dead'`, [now.toISOString(), id]),
    );
    return r.changes > 0;
  }

  /** retrying → dead again: the retry could not be handed over (Redis away). */
  async revertRetrying(id: string): Promise<void> {
    await this.store.transaction((tx) => tx.run(`UPDATE dead_letters SET state = 'dead', retries = retries - 1 WHERE id = ? AND state = 'retrying'`, [id]));
  }

  /** retrying → resolved (the retried job completed). */
  async markResolved(ids: string[], now = new Date()): Promise<void> {
    if (ids.length === 0) return;
    await this.store.transaction(async (tx) => {
      for (const id of ids) await tx.run(`UPDATE dead_letters SET state = 'resolved', resolved_at = ? WHERE id = ? AND state = 'retrying'`, [now.toISOString(), id]);
    });
  }
}
