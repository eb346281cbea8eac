import { Client } from 'pg';
import { toPositionalParams } from './positional-params';
import type { WriterConnection } from './writer-connection';

/** Every appender, in every process, serialises on this advisory lock: positions stay gap-free. */
const LEDGER_LOCK_KEY = 727_001;

/** The event store's writer on PostgreSQL: one client, appends serialised by an advisory lock. */
export class PgConnection implements WriterConnection {
  readonly dialect = 'postgres' as const;

  private constructor(private readonly client: Client) {}

  static async open(url: string, schema: string | null): Promise<PgConnection> {
    const client = new Client({ connectionString: url, ...(schema ? { options: `-c search_path=${schema}` } : {}) });
    await client.connect();
    client.on('error', () => undefined); // surfaced by the next query
    return new PgConnection(client);
  }

  async exec(sql: string): Promise<void> {
    await this.client.query(sql);
  }

  async beginWrite(): Promise<void> {
    await this.client.query('BEGIN');
    try {
      await this.client.query('SELECT pg_advisory_xact_lock($1)', [LEDGER_LOCK_KEY]);
    } catch (err) {
      await this.client.query('ROLLBACK').catch(() => undefined);
      throw err;
    }
  }

  isBusy(err: unknown): boolean {
    const code = (err as { code?: string })?.code;
    return code === '55P03' || code === '40001' || code === '40P01'; // lock_not_available, serialization, deadlock
  }

  async run(sql: string, params: unknown[] = []): Promise<{ changes: number; lastID: number }> {
    const r = await this.client.query(params.length ? toPositionalParams(sql) : sql, params);
    return { changes: r.rowCount ?? 0, lastID: 0 };
  }

  async all<T = Record<string, unknown>>(sql: string, params: unknown[] = []): Promise<T[]> {
    const r = await this.client.query(params.length ? toPositionalParams(sql) : sql, params);
    return r.rows as T[];
  }

  async get<T = Record<string, unknown>>(sql: string, params: unknown[] = []): Promise<T | undefined> {
    return (await this.all<T>(sql, params))[0];
  }

  async close(): Promise<void> {
    await this.client.end();
  }
}
