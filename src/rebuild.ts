import 'reflect-metadata';
import { loadConfig } from './config/app-config';
import { createDataSourceFor, migrate } from './database/data-source';
import { EventStore } from './ledger/event-store';
import { readModelProjectors } from './projections';
import { ProjectionRebuilder } from './projections/projection-rebuilder';

/**
 * `npm run rebuild` (or `node dist/rebuild.js`): empties the read models and replays the whole
 * log into them, with the same projector code the appends use, then exits. Progress goes to
 * stdout; `--json` adds one JSON line at the end (events, ms, events/s, peak RSS in MB).
 *
 * It runs as one write transaction on the database at DATABASE_PATH (or DATABASE_URL): readers
 * keep the old read models until it commits, and a running service's writes wait for it (the
 * admin route POST /api/admin/projections/rebuild does the same from inside the service).
 */
async function main(): Promise<void> {
  const json = process.argv.includes('--json');
  const config = loadConfig();
  const ds = createDataSourceFor(config);
  await ds.initialize();
  let store: EventStore | null = null;
  try {
    await migrate(ds);
    store = await EventStore.openFor(config);
    for (const projector of readModelProjectors()) store.registerProjector(projector);
    const head: Array<{ n: number | string | null }> = await ds.query('SELECT MAX(position) AS n FROM events');
    const total = Number(head[0]?.n ?? 0);
    const started = Date.now();
    process.stdout.write(`rebuilding read models from ${total} events\n`);
    const report = await new ProjectionRebuilder(store).rebuild((done) => {
      const s = (Date.now() - started) / 1000;
      const pct = total > 0 ? ` (${Math.floor((100 * done) / total)}%)` : '';
      process.stdout.write(`  ${done} events${pct}, ${Math.round(done / Math.max(s, 0.001))} events/s\n`);
    });
    const peakRssMb = Math.round(process.resourceUsage().maxRSS / 1024);
    process.stdout.write(
      `read models rebuilt from ${report.events} events in ${(report.ms / 1000).toFixed(1)} s (${report.eventsPerSecond} events/s), peak RSS ${peakRssMb} MB\n`,
    );
    if (json) process.stdout.write(JSON.stringify({ ...report, peakRssMb }) + '\n');
  } finally {
    await store?.close();
    if (ds.isInitialized) await ds.destroy();
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    // eslint-disable-next-line no-console
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  },
);
