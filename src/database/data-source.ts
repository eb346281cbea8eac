import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { DataSource } from 'typeorm';
import * as sqlite3 from 'sqlite3';
import { MIGRATIONS } from './migrations';
import { BUSY_TIMEOUT_MS } from '../ledger/sqlite-connection';
import type { AppConfig } from '../config/app-config';
import { toPositionalParams, type Dialect } from './dialect';

/**
 * The sqlite3 module as TypeORM's driver, minus `verbose()`: TypeORM calls it on load, and it
 * wraps every Database and Statement method of the whole process in a long-stack-trace shim
 * (an Error and a util.inspect of every bound parameter per call: about a fifth of a request's
 * CPU). Here it hands back the module untouched; queries, results and errors are the same.
 */
const quietSqlite3: typeof sqlite3 = Object.create(sqlite3, { verbose: { value: () => sqlite3 } });

export function createDataSource(databasePath: string): DataSource {
  if (databasePath !== ':memory:') mkdirSync(dirname(databasePath), { recursive: true });
  return new DataSource({
    type: 'sqlite',
    driver: quietSqlite3,
    database: databasePath,
    enableWAL: true,
    busyTimeout: BUSY_TIMEOUT_MS,
    synchronize: false,
    migrationsRun: false,
    migrations: MIGRATIONS,
    migrationsTransactionMode: 'each',
    logging: false,
  });
}

/** PostgreSQL when DATABASE_URL is set, else the SQLite file at DATABASE_PATH. */
export function createDataSourceFor(config: Pick<AppConfig, 'databasePath' | 'databaseUrl' | 'databaseSchema'>): DataSource {
  if (!config.databaseUrl) return createDataSource(config.databasePath);
  const ds = new DataSource({
    type: 'postgres',
    url: config.databaseUrl,
    synchronize: false,
    migrationsRun: false,
    migrations: MIGRATIONS,
    migrationsTransactionMode: 'each',
    logging: false,
    extra: { max: 10, ...(config.databaseSchema ? { options: `-c search_path=${config.databaseSchema}` } : {}) },
  });
  // The code's SQL is written once with `?` placeholders; PostgreSQL wants $1, $2, ….
  const query = ds.query.bind(ds);
  ds.query = ((sql: string, params?: unknown[], runner?: never) =>
    query(params && params.length ? toPositionalParams(sql) : sql, params, runner)) as DataSource['query'];
  return ds;
}

export function dialectOf(ds: DataSource): Dialect {
  return ds.options.type === 'postgres' ? 'postgres' : 'sqlite';
}

export class SchemaTooNewError extends Error {}

/**
 * Applies pending migrations. Several processes may start at once on one file: a loser of that
 * race sees "already exists", waits, and finds nothing left to do. A database that has
 * migrations this build does not know was written by a newer version: refuse to run on it.
 */
export async function migrate(ds: DataSource, log: (msg: string) => void = () => {}): Promise<void> {
  const schema = (ds.options as { extra?: { options?: string } }).extra?.options?.match(/search_path=(\w+)/)?.[1];
  if (dialectOf(ds) === 'postgres' && schema) await ds.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
  const known = new Set(MIGRATIONS.map((m) => m.name));
  const hasTable = await ds.query(
    dialectOf(ds) === 'postgres'
      ? `SELECT 1 FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = 'migrations'`
      : `SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'migrations'`,
  );
  if (hasTable.length > 0) {
    const applied: Array<{ name: string }> = await ds.query('SELECT name FROM migrations');
    const unknown = applied.map((r) => r.name).filter((n) => !known.has(n));
    if (unknown.length > 0) {
      throw new SchemaTooNewError(
        `the database schema is newer than this build (unknown migrations: ${unknown.join(', ')}); upgrade claim-ledger`,
      );
    }
  }
  for (let attempt = 1; ; attempt++) {
    try {
      const ran = await ds.runMigrations({ transaction: 'each' });
      for (const m of ran) log(`applied migration ${m.name}`);
      return;
    } catch (err) {
      if (attempt >= 5 || !(await ds.showMigrations().catch(() => true))) {
        if (!(await ds.showMigrations().catch(() => true))) return; // another process finished them
        throw err;
      }
      await new Promise((r) => setTimeout(r, 100 * attempt));
    }
  }
}
