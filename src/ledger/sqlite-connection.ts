import * as sqlite3 from 'sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { WriterConnection } from './writer-connection';

export const BUSY_TIMEOUT_MS = 10_000;

/**
 * A raw sqlite3 connection with promise methods. The event store owns one for its writes, so
 * readers on TypeORM's connection only ever see committed data (WAL snapshots).
 */
export class SqliteConnection implements WriterConnection {
  readonly dialect = 'sqlite' as const;

  private constructor(private readonly db: sqlite3.Database) {}

  static async open(path: string): Promise<SqliteConnection> {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    const db = await new Promise<sqlite3.Database>((resolve, reject) => {
      const handle = new sqlite3.Database(path, (err) => (err ? reject(err) : resolve(handle)));
    });
    const conn = new SqliteConnection(db);
    db.configure('busyTimeout', BUSY_TIMEOUT_MS);
    await conn.exec(
      `PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; PRAGMA busy_timeout = ${BUSY_TIMEOUT_MS};`,
    );
    return conn;
  }

  /** BEGIN IMMEDIATE takes SQLite's write lock now, not at the first write: no upgrade deadlocks. */
  beginWrite(): Promise<void> {
    return this.exec('BEGIN IMMEDIATE');
  }

  isBusy(err: unknown): boolean {
    return isSqliteBusy(err);
  }

  exec(sql: string): Promise<void> {
    return new Promise((resolve, reject) => this.db.exec(sql, (err) => (err ? reject(err) : resolve())));
  }

  run(sql: string, params: unknown[] = []): Promise<{ changes: number; lastID: number }> {
    return new Promise((resolve, reject) =>
      this.db.run(sql, params, function (this: sqlite3.RunResult, err: Error | null) {
        if (err) reject(err);
        else resolve({ changes: this.changes, lastID: this.lastID });
      }),
    );
  }

  all<T = Record<string, unknown>>(sql: string, params: unknown[] = []): Promise<T[]> {
    return new Promise((resolve, reject) =>
      this.db.all(sql, params, (err, rows) => (err ? reject(err) : resolve(rows as T[]))),
    );
  }

  get<T = Record<string, unknown>>(sql: string, params: unknown[] = []): Promise<T | undefined> {
    return new Promise((resolve, reject) =>
      this.db.get(sql, params, (err, row) => (err ? reject(err) : resolve(row as T | undefined))),
    );
  }

  close(): Promise<void> {
    return new Promise((resolve, reject) => this.db.close((err) => (err ? reject(err) : resolve())));
  }
}

/** SQLite reports a lost write-lock race or a locked file as BUSY/LOCKED: worth retrying. */
export function isSqliteBusy(err: unknown): boolean {
  const code = (err as { code?: string })?.code;
  return code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED';
}

export function isUniqueViolation(err: unknown): boolean {
  const e = err as { code?: string; message?: string };
  return e?.code === 'SQLITE_CONSTRAINT' && /UNIQUE/i.test(e.message ?? '');
}
