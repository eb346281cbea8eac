import type { DataSource } from 'typeorm';
import type { StoredEvent } from '../domain/events';

export interface EventRow {
  position: number;
  stream_id: string;
  stream_version: number;
  type: string;
  data: string;
  metadata: string;
  recorded_at: string;
  prev_hash: string;
  hash: string;
}

export const EVENT_COLUMNS = 'position, stream_id, stream_version, type, data, metadata, recorded_at, prev_hash, hash';

export function rowToEvent(row: EventRow): StoredEvent {
  return {
    position: row.position,
    streamId: row.stream_id,
    streamVersion: row.stream_version,
    type: row.type,
    data: JSON.parse(row.data),
    metadata: JSON.parse(row.metadata),
    recordedAt: row.recorded_at,
    prevHash: row.prev_hash,
    hash: row.hash,
  } as StoredEvent;
}

/** Reads the log on TypeORM's connection: committed data only, never blocking the writer (WAL). */
export class LedgerReader {
  constructor(private readonly ds: DataSource) {}

  async readStream(streamId: string, opts: { recordedAtOrBefore?: string } = {}): Promise<StoredEvent[]> {
    const rows: EventRow[] = opts.recordedAtOrBefore
      ? await this.ds.query(
          `SELECT ${EVENT_COLUMNS} FROM events WHERE stream_id = ? AND recorded_at <= ? ORDER BY stream_version`,
          [streamId, opts.recordedAtOrBefore],
        )
      : await this.ds.query(`SELECT ${EVENT_COLUMNS} FROM events WHERE stream_id = ? ORDER BY stream_version`, [streamId]);
    return rows.map(rowToEvent);
  }

  /** Several streams at once, each oldest first (grouped by stream, ordered by position). */
  async readStreams(streamIds: string[], opts: { recordedAtOrBefore?: string } = {}): Promise<Map<string, StoredEvent[]>> {
    const out = new Map<string, StoredEvent[]>();
    for (const id of streamIds) out.set(id, []);
    for (let i = 0; i < streamIds.length; i += 500) {
      const ids = streamIds.slice(i, i + 500);
      const marks = ids.map(() => '?').join(',');
      const params: unknown[] = [...ids];
      let sql = `SELECT ${EVENT_COLUMNS} FROM events WHERE stream_id IN (${marks})`;
      if (opts.recordedAtOrBefore) {
        sql += ' AND recorded_at <= ?';
        params.push(opts.recordedAtOrBefore);
      }
      const rows: EventRow[] = await this.ds.query(sql + ' ORDER BY position', params);
      for (const row of rows) out.get(row.stream_id)!.push(rowToEvent(row));
    }
    return out;
  }

  async streamVersion(streamId: string): Promise<number> {
    const rows = await this.ds.query('SELECT MAX(stream_version) AS v FROM events WHERE stream_id = ?', [streamId]);
    return rows[0]?.v ?? 0;
  }

  /** Events with position > after, oldest first, at most `limit`. */
  async readAfter(after: number, limit: number): Promise<StoredEvent[]> {
    return (await this.readRowsAfter(after, limit)).map(rowToEvent);
  }

  readRowsAfter(after: number, limit: number): Promise<EventRow[]> {
    return this.ds.query(`SELECT ${EVENT_COLUMNS} FROM events WHERE position > ? ORDER BY position LIMIT ?`, [after, limit]);
  }

  async head(): Promise<{ position: number; hash: string | null }> {
    const rows = await this.ds.query('SELECT position, hash FROM events ORDER BY position DESC LIMIT 1');
    return rows[0] ? { position: rows[0].position, hash: rows[0].hash } : { position: 0, hash: null };
  }
}
