import 'reflect-metadata';
import { loadConfig, type AppConfig } from './config/app-config';
import { SchemaTooNewError, createDataSourceFor, migrate } from './database/data-source';
import { MIGRATIONS } from './database/migrations';
import { createRootLogger } from './ops/logging';

/**
 * `npm run migrate` (or `node dist/migrate.js` in the image): applies pending migrations to the
 * database at DATABASE_PATH and exits. Exit 0: the schema is current (nothing, or the listed
 * migrations, applied). Exit 1: it failed, or the database has migrations this build does not
 * know (written by a newer claim-ledger), which it refuses to touch.
 */
async function main(): Promise<number> {
  const config = loadConfig();
  const logger = createRootLogger(config.logLevel);
  const ds = await connectWithRetries(config, logger);
  try {
    const applied: string[] = [];
    await migrate(ds, (msg) => {
      applied.push(msg);
      logger.info({ database: config.databasePath }, msg);
    });
    logger.info(
      { database: config.databasePath, applied: applied.length, known: MIGRATIONS.length },
      applied.length ? `applied ${applied.length} migration(s); the schema is current` : 'nothing to do: the schema is current',
    );
    return 0;
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    logger.fatal({ database: config.databasePath, schemaTooNew: err instanceof SchemaTooNewError }, message);
    // eslint-disable-next-line no-console
    console.error(message);
    return 1;
  } finally {
    await ds.destroy();
  }
}

/**
 * A database that is still starting (PostgreSQL in compose, a restarted server) is waited for:
 * the connection is retried with backoff for up to MIGRATE_WAIT_MS before migrate gives up.
 */
async function connectWithRetries(config: AppConfig, logger: ReturnType<typeof createRootLogger>) {
  const deadline = Date.now() + config.migrateWaitMs;
  for (let attempt = 1; ; attempt++) {
    const ds = createDataSourceFor(config);
    try {
      await ds.initialize();
      if (attempt > 1) logger.info({ attempt }, 'the database answers');
      return ds;
    } catch (err) {
      if (ds.isInitialized) await ds.destroy().catch(() => undefined);
      const wait = Math.min(2000, 100 * 2 ** attempt);
      if (Date.now() + wait > deadline) throw err;
      if (attempt === 1) logger.warn({ err: { message: (err as Error).message }, waitUpToMs: config.migrateWaitMs }, 'the database does not answer yet; retrying');
      await new Promise((r) => setTimeout(r, wait));
    }
  }
}

main().then(
  (code) => process.exit(code),
  (err) => {
    // eslint-disable-next-line no-console
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  },
);
