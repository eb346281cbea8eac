import * as sqlite3 from 'sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { WriterConnection } from './writer-connection';

export const BUSY_TIMEOUT_MS = 10_000;

/**
 * `sqlite3.verbose()` wraps every Database and Statement method of the whole process in a
 * long-stack-trace shim: each call makes an Error and `util.inspect`s every bound parameter (a
 * 50-row INSERT has 450). Our DataSource never calls it (src/database/data-source.ts), but any
 * other code that does would slow the writer down by a fifth; so the writer keeps the methods
 * as they were when this module loaded and calls them directly.
 */
type NativeStatementCtor = new (db: sqlite3.Database, sql: string, errBack?: (err: Error | null) => void) => sqlite3.Statement;
const NativeStatement = sqlite3.Statement as unknown as NativeStatementCtor;
const native = {
  exec: sqlite3.Database.prototype.exec,
  run: sqlite3.Statement.prototype.run as (this: sqlite3.Statement, params: unknown[], cb: (this: sqlite3.RunResult, err: Error | null) => void) => sqlite3.Statement,
  get: sqlite3.Statement.prototype.get as (this: sqlite3.Statement, params: unknown[], cb: (err: Error | null, row?: unknown) => void) => sqlite3.Statement,
  all: sqlite3.Statement.prototype.all as (this: sqlite3.Statement, params: unknown[], cb: (err: Error | null, rows: unknown[]) => void) => sqlite3.Statement,
  finalize: sqlite3.Statement.prototype.finalize,
};

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
    return new Promise((resolve, reject) => native.exec.call(this.db, sql, (err) => (err ? reject(err) : resolve())));
  }

  /** As Database#run: a one-off statement, run with its parameters, then finalized. */
  run(sql: string, params: unknown[] = []): Promise<{ changes: number; lastID: number }> {
    return new Promise((resolve, reject) => {
      const stmt = new NativeStatement(this.db, sql, (err) => err && reject(err));
      native.run.call(stmt, params, function (this: sqlite3.RunResult, err: Error | null) {
        if (err) reject(err);
        else resolve({ changes: this.changes, lastID: this.lastID });
      });
      native.finalize.call(stmt);
    });
  }

  all<T = Record<string, unknown>>(sql: string, params: unknown[] = []): Promise<T[]> {
    return new Promise((resolve, reject) => {
      const stmt = new NativeStatement(this.db, sql, (err) => err && reject(err));
      native.all.call(stmt, params, (err, rows) => (err ? reject(err) : resolve(rows as T[])));
      native.finalize.call(stmt);
    });
  }

  get<T = Record<string, unknown>>(sql: string, params: unknown[] = []): Promise<T | undefined> {
    return new Promise((resolve, reject) => {
      const stmt = new NativeStatement(this.db, sql, (err) => err && reject(err));
      native.get.call(stmt, params, (err, row) => (err ? reject(err) : resolve(row as T | undefined)));
      native.finalize.call(stmt);
    });
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
