import * as sqlite3 from 'sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { WriterConnection } from './writer-connection';

export const BUSY_TIMEOUT_MS = 10_000;
/** How long one try for the write lock waits inside SQLite (its busy handler sleeps 1 ms, then 1 ms). */
const LOCK_POLL_MS = 2;

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
  all: sqlite3.Statement.prototype.all as (this: sqlite3.Statement, params: unknown[], cb: (err: Error | null, rows: unknown[]) => void) => sqlite3.Statement,
  finalize: sqlite3.Statement.prototype.finalize,
};

/** Prepared statements kept per connection, and the longest SQL worth keeping one for. */
const STATEMENT_CACHE = 128;
const CACHEABLE_SQL_CHARS = 4096;

interface CachedStatement {
  stmt: sqlite3.Statement;
  /** Calls made before the statement was prepared; null once it is. */
  waiting: Array<{ use(stmt: sqlite3.Statement): void; fail(err: Error): void }> | null;
}

/**
 * A raw sqlite3 connection with promise methods. The event store owns one for its writes, so
 * readers on TypeORM's connection only ever see committed data (WAL snapshots).
 */
export class SqliteConnection implements WriterConnection {
  readonly dialect = 'sqlite' as const;

  private readonly statements = new Map<string, CachedStatement>();

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
    // From here on the connection only writes inside BEGIN IMMEDIATE … COMMIT: once the lock is
    // held nothing waits (WAL readers never block a writer), so SQLite's busy handler only ever
    // runs for BEGIN, which beginWrite polls itself.
    db.configure('busyTimeout', LOCK_POLL_MS);
    return conn;
  }

  /**
   * BEGIN IMMEDIATE takes SQLite's write lock now, not at the first write: no upgrade deadlocks.
   *
   * While another process holds the lock, SQLite's own busy handler would sleep 1, 2, 5, 10, 15,
   * 20, 25, … up to 100 ms between tries, so a waiter soon sleeps far longer than the lock is held
   * (a few ms) and loses every race to processes that happen to try at the right moment. Here the
   * lock is asked for with the connection's busy timeout of LOCK_POLL_MS (SQLite sleeps 1 ms
   * between its tries) and asked again at once, until BUSY_TIMEOUT_MS has passed: a waiter
   * notices a free lock within about a millisecond.
   */
  async beginWrite(): Promise<void> {
    const deadline = Date.now() + BUSY_TIMEOUT_MS;
    for (;;) {
      try {
        await this.exec('BEGIN IMMEDIATE');
        return;
      } catch (err) {
        if (!isSqliteBusy(err) || Date.now() >= deadline) throw err;
      }
    }
  }

  isBusy(err: unknown): boolean {
    return isSqliteBusy(err);
  }

  exec(sql: string): Promise<void> {
    return new Promise((resolve, reject) => native.exec.call(this.db, sql, (err) => (err ? reject(err) : resolve())));
  }

  /** As Database#run, on a prepared statement kept for the next call with the same SQL. */
  run(sql: string, params: unknown[] = []): Promise<{ changes: number; lastID: number }> {
    return new Promise((resolve, reject) =>
      this.withStatement(sql, reject, (stmt) =>
        native.run.call(stmt, params, function (this: sqlite3.RunResult, err: Error | null) {
          if (err) reject(err);
          else resolve({ changes: this.changes, lastID: this.lastID });
        }),
      ),
    );
  }

  all<T = Record<string, unknown>>(sql: string, params: unknown[] = []): Promise<T[]> {
    return new Promise((resolve, reject) =>
      this.withStatement(sql, reject, (stmt) => native.all.call(stmt, params, (err, rows) => (err ? reject(err) : resolve(rows as T[])))),
    );
  }

  /**
   * The first row. Runs the statement to its end (as `all`): a kept statement left on a row would
   * hold its read snapshot open, and sqlite3's `get` without parameters would go on from there.
   */
  async get<T = Record<string, unknown>>(sql: string, params: unknown[] = []): Promise<T | undefined> {
    return (await this.all<T>(sql, params))[0];
  }

  /**
   * Calls `use` with a prepared statement for `sql`, synchronously once it is prepared. Kept
   * statements skip sqlite3's prepare step, which is a round trip through libuv's thread pool of
   * its own: half of every statement's trips, and inside a write transaction each trip is time
   * the write lock is held. At most STATEMENT_CACHE statements are kept (least recently used go).
   * Calls on one statement queue in sqlite3 in the order they were made.
   */
  private withStatement(sql: string, fail: (err: Error) => void, use: (stmt: sqlite3.Statement) => void): void {
    if (sql.length > CACHEABLE_SQL_CHARS) {
      const stmt = new NativeStatement(this.db, sql, (err) => err && fail(err));
      use(stmt);
      native.finalize.call(stmt);
      return;
    }
    let entry = this.statements.get(sql);
    if (entry) {
      this.statements.delete(sql); // most recently used last
      this.statements.set(sql, entry);
      if (entry.waiting) entry.waiting.push({ use, fail });
      else use(entry.stmt);
      return;
    }
    const fresh: CachedStatement = { stmt: null as unknown as sqlite3.Statement, waiting: [{ use, fail }] };
    fresh.stmt = new NativeStatement(this.db, sql, (err) => {
      const waiting = fresh.waiting ?? [];
      fresh.waiting = null;
      if (err) {
        // sqlite3 drops the calls queued on a statement that failed to prepare: answer them here.
        if (this.statements.get(sql) === fresh) this.statements.delete(sql);
        for (const w of waiting) w.fail(err);
      } else {
        for (const w of waiting) w.use(fresh.stmt);
      }
    });
    entry = fresh;
    this.statements.set(sql, entry);
    if (this.statements.size > STATEMENT_CACHE) {
      for (const [key, old] of this.statements) {
        if (this.statements.size <= STATEMENT_CACHE) break;
        if (old.waiting) continue; // still preparing: its callers have not run yet
        this.statements.delete(key);
        native.finalize.call(old.stmt); // queued after any run already asked of it
      }
    }
  }

  close(): Promise<void> {
    for (const entry of this.statements.values()) if (!entry.waiting) native.finalize.call(entry.stmt);
    this.statements.clear();
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
