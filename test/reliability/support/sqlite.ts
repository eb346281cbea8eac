import sqlite3 from 'sqlite3';

/** Direct access to a service's SQLite file, the way an intruder (or an auditor) would have it. */
export class Db {
  private constructor(private readonly db: sqlite3.Database) {}

  static open(path: string): Promise<Db> {
    return new Promise((resolve, reject) => {
      const db = new sqlite3.Database(path, sqlite3.OPEN_READWRITE, (err) => (err ? reject(err) : resolve(new Db(db))));
    }).then(async (d) => {
      await (d as Db).exec('PRAGMA busy_timeout = 10000');
      return d as Db;
    });
  }

  all<T = Record<string, unknown>>(sql: string, params: unknown[] = []): Promise<T[]> {
    return new Promise((resolve, reject) => this.db.all(sql, params, (err, rows) => (err ? reject(err) : resolve(rows as T[]))));
  }

  run(sql: string, params: unknown[] = []): Promise<number> {
    return new Promise((resolve, reject) =>
      this.db.run(sql, params, function (this: sqlite3.RunResult, err: Error | null) {
        if (err) reject(err);
        else resolve(this.changes);
      }),
    );
  }

  exec(sql: string): Promise<void> {
    return new Promise((resolve, reject) => this.db.exec(sql, (err) => (err ? reject(err) : resolve())));
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.db.close(() => resolve()));
  }
}

/** The read-model tables, each dumped in a stable order (to compare before and after a rebuild). */
export const READ_MODEL_TABLES: Record<string, string> = {
  claims: 'SELECT * FROM claims ORDER BY id',
  claim_topics: 'SELECT * FROM claim_topics ORDER BY claim_id, topic_norm, position',
  pledge_scopes: 'SELECT * FROM pledge_scopes ORDER BY claim_id',
  evidence: 'SELECT * FROM evidence ORDER BY id',
  attachments: 'SELECT * FROM attachments ORDER BY claim_id, evidence_id',
  pledge_scope_keys: 'SELECT * FROM pledge_scope_keys ORDER BY claim_id, key',
  report_keys: 'SELECT * FROM report_keys ORDER BY evidence_id, key',
  external_reports: 'SELECT * FROM external_reports ORDER BY dataset, external_id',
};

export async function dumpReadModels(path: string): Promise<Record<string, unknown[]>> {
  const db = await Db.open(path);
  try {
    const out: Record<string, unknown[]> = {};
    for (const [table, sql] of Object.entries(READ_MODEL_TABLES)) out[table] = await db.all(sql);
    return out;
  } finally {
    await db.close();
  }
}
