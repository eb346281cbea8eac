import * as sqlite3 from 'sqlite3';
import { createApp } from '../../../src/app.factory';
import { loadConfig } from '../../../src/config/app-config';
import { createDataSource, migrate } from '../../../src/database/data-source';
import { MIGRATIONS } from '../../../src/database/migrations';
import { TEST_ADMIN_KEY, tempDbPath } from '../../support/app';
import { freePort, parseJsonLines, requireBuild, runNode } from './helpers';

async function migrateInProcess(path: string): Promise<void> {
  const ds = createDataSource(path);
  await ds.initialize();
  try {
    await migrate(ds);
  } finally {
    await ds.destroy();
  }
}

function query<T = Record<string, unknown>>(path: string, sql: string): Promise<T[]> {
  return new Promise((resolve, reject) => {
    const db = new sqlite3.Database(path, (err) => {
      if (err) return reject(err);
      db.all(sql, (e, rows) => db.close(() => (e ? reject(e) : resolve(rows as T[]))));
    });
  });
}

const FUTURE = 'AddSomethingFromTheFuture9999999999999';

// Spawned processes start slowly on a busy machine.
jest.setTimeout(60_000);

describe('migrations: npm run migrate, and refusing a newer schema', () => {
  const temps: Array<{ cleanup(): void }> = [];
  const temp = () => {
    const t = tempDbPath('claim-ledger-migrate-');
    temps.push(t);
    return t;
  };

  beforeAll(() => requireBuild('migrate.js', 'main.js'));
  afterAll(() => temps.forEach((t) => t.cleanup()));

  it('`node dist/migrate.js` applies every migration to DATABASE_PATH, then has nothing left to do', async () => {
    const { dbPath } = temp();
    const first = await runNode('migrate.js', { DATABASE_PATH: dbPath, LOG_LEVEL: 'info' });
    expect(first.code).toBe(0);
    const lines = parseJsonLines(first.stdout);
    expect(lines.map((l) => l.msg)).toEqual(expect.arrayContaining([`applied migration ${MIGRATIONS[0].name}`]));
    const applied = await query<{ name: string }>(dbPath, 'SELECT name FROM migrations ORDER BY id');
    expect(applied.map((r) => r.name)).toEqual(MIGRATIONS.map((m) => new m().name));
    const tables = (await query<{ name: string }>(dbPath, `SELECT name FROM sqlite_master WHERE type = 'table'`)).map((r) => r.name);
    expect(tables).toEqual(expect.arrayContaining(['events', 'claims', 'evidence', 'api_keys', 'checkpoints', 'idempotency_keys']));

    const again = await runNode('migrate.js', { DATABASE_PATH: dbPath, LOG_LEVEL: 'info' });
    expect(again.code).toBe(0);
    expect(parseJsonLines(again.stdout).some((l) => /nothing to do/.test(String(l.msg)))).toBe(true);
  });

  it('creates every table through migrations: starting the app adds none', async () => {
    const { dbPath } = temp();
    await migrateInProcess(dbPath);
    const before = (await query<{ name: string }>(dbPath, `SELECT name FROM sqlite_master WHERE type IN ('table', 'index', 'trigger') ORDER BY name`)).map((r) => r.name);
    const app = await createApp(loadConfig({}, { databasePath: dbPath, adminApiKey: TEST_ADMIN_KEY, logLevel: 'silent', redisUrl: null }));
    await app.close();
    const after = (await query<{ name: string }>(dbPath, `SELECT name FROM sqlite_master WHERE type IN ('table', 'index', 'trigger') ORDER BY name`)).map((r) => r.name);
    expect(after).toEqual(before);
  });

  describe('a database with a migration this build does not know', () => {
    let dbPath: string;

    beforeAll(async () => {
      dbPath = temp().dbPath;
      await migrateInProcess(dbPath);
      await query(dbPath, `INSERT INTO migrations (timestamp, name) VALUES (9999999999999, '${FUTURE}')`);
    });

    it('makes createApp refuse to start, with a clear message', async () => {
      await expect(
        createApp(loadConfig({}, { databasePath: dbPath, adminApiKey: TEST_ADMIN_KEY, logLevel: 'silent', redisUrl: null })),
      ).rejects.toThrow(new RegExp(`schema is newer than this build.*${FUTURE}.*upgrade`));
    });

    it('makes `node dist/main.js` exit 1 saying why', async () => {
      const port = await freePort();
      const res = await runNode('main.js', { DATABASE_PATH: dbPath, PORT: String(port), HOST: '127.0.0.1', ADMIN_API_KEY: TEST_ADMIN_KEY, LOG_LEVEL: 'info' });
      expect(res.code).toBe(1);
      expect(res.stderr).toMatch(/the database schema is newer than this build/);
      expect(res.stderr).toContain(FUTURE);
      const fatal = parseJsonLines(res.stdout).find((l) => l.level === 'fatal');
      expect(fatal?.msg).toBe('claim-ledger could not start');
    });

    it('makes `node dist/migrate.js` exit 1 without touching it', async () => {
      const res = await runNode('migrate.js', { DATABASE_PATH: dbPath, LOG_LEVEL: 'error' });
      expect(res.code).toBe(1);
      expect(res.stderr).toMatch(/newer than this build/);
      const rows = await query<{ name: string }>(dbPath, 'SELECT name FROM migrations ORDER BY id');
      expect(rows.map((r) => r.name)).toEqual([...MIGRATIONS.map((m) => new m().name), FUTURE]);
    });
  });
});
