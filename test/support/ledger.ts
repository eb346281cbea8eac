import 'reflect-metadata';
import type { DataSource } from 'typeorm';
import { createDataSource, createDataSourceFor, migrate } from '../../src/database/data-source';
import type { EventMetadata } from '../../src/domain/events';
import { EventStore } from '../../src/ledger/event-store';
import { LedgerReader } from '../../src/ledger/ledger-reader';
import { TEST_PG_URL, dropSchema, uniqueSchema } from './postgres';
import { tempDbPath } from './temp';

export interface TestLedger {
  ds: DataSource;
  store: EventStore;
  reader: LedgerReader;
  dbPath: string;
  close(): Promise<void>;
}

/** A migrated SQLite file in a fresh temp dir, with the event store and a reader on it (no HTTP). */
export async function openLedger(clock?: () => Date): Promise<TestLedger> {
  const temp = tempDbPath('claim-ledger-store-');
  const ds = createDataSource(temp.dbPath);
  await ds.initialize();
  await migrate(ds);
  const store = await EventStore.open(temp.dbPath, clock);
  return ledgerHandle(ds, store, temp.dbPath, async () => temp.cleanup());
}

/** Like openLedger, on either database: PostgreSQL gets a fresh schema in the test database, dropped by close(). */
export async function openLedgerOn(dialect: 'sqlite' | 'postgres', clock?: () => Date): Promise<TestLedger> {
  if (dialect === 'sqlite') return openLedger(clock);
  const schema = uniqueSchema('ledger');
  const config = { databasePath: '', databaseUrl: TEST_PG_URL, databaseSchema: schema };
  const ds = createDataSourceFor(config);
  await ds.initialize();
  await migrate(ds);
  const store = await EventStore.openFor(config, clock);
  return ledgerHandle(ds, store, '', () => dropSchema(schema));
}

/** The store and a reader on `ds`; close() (once, whatever calls it) closes both, then removes what the ledger lived in. */
function ledgerHandle(ds: DataSource, store: EventStore, dbPath: string, remove: () => Promise<void>): TestLedger {
  let closed = false;
  return {
    ds,
    store,
    reader: new LedgerReader(ds),
    dbPath,
    async close() {
      if (closed) return;
      closed = true;
      try {
        await store.close();
        if (ds.isInitialized) await ds.destroy();
      } finally {
        await remove();
      }
    },
  };
}

export function testMetadata(name = 'test', correlationId = 'test-correlation'): EventMetadata {
  return { actor: { kind: 'system', name }, correlationId, causationId: null };
}
