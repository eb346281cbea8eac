import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { DataSource } from 'typeorm';
import { MIGRATIONS } from './migrations';
import { BUSY_TIMEOUT_MS } from '../ledger/sqlite-connection';

export function createDataSource(databasePath: string): DataSource {
  if (databasePath !== ':memory:') mkdirSync(dirname(databasePath), { recursive: true });
  return new DataSource({
    type: 'sqlite',
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

export class SchemaTooNewError extends Error {}

/**
 * Applies pending migrations. Several processes may start at once on one file: a loser of that
 * race sees "already exists", waits, and finds nothing left to do. A database that has
 * migrations this build does not know was written by a newer version: refuse to run on it.
 */
export async function migrate(ds: DataSource, log: (msg: string) => void = () => {}): Promise<void> {
  const known = new Set(MIGRATIONS.map((m) => m.name));
  const hasTable = await ds.query(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'migrations'`);
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
