import { Global, Inject, Logger, Module, OnApplicationShutdown } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { createDataSourceFor, migrate } from '../database/data-source';
import { EventStore } from './event-store';
import { ChainVerifier } from './chain-verifier';
import { queryOf } from '../projections/merkle-tree/queries';
import { StoredTreeCheck } from '../projections/merkle-tree/tree-check';
import { LedgerReader } from './ledger-reader';
import { LedgerController } from './http/ledger.controller';
import { EventsController } from './http/events.controller';
import { VerifyRateLimitGuard } from './http/verify-rate-limit.guard';

/**
 * The database and the log. TypeORM's connection (migrations, all reads) and the event
 * store's own writer connection point at the same SQLite file.
 *
 * The wiring is the one file of src/ledger/ outside its HTTP side (src/ledger/http/) that
 * reaches beyond src/domain/ and src/common/: it reads the configuration and opens the
 * database (src/config/, src/database/). The store, connections, reader, verifier, hash chain,
 * canonical JSON and idempotency do not.
 */
@Global()
@Module({
  controllers: [LedgerController, EventsController],
  providers: [
    VerifyRateLimitGuard,
    {
      provide: DataSource,
      inject: [APP_CONFIG],
      useFactory: async (config: AppConfig) => {
        const ds = createDataSourceFor(config);
        await ds.initialize();
        const logger = new Logger('Database');
        try {
          await migrate(ds, (m) => logger.log(m));
        } catch (err) {
          await ds.destroy(); // refusing to start must not leave the file open
          throw err;
        }
        return ds;
      },
    },
    {
      provide: EventStore,
      inject: [APP_CONFIG, DataSource],
      // DataSource first: migrations have run before the writer opens.
      useFactory: (config: AppConfig, _ds: DataSource) => EventStore.openFor(config),
    },
    { provide: LedgerReader, inject: [DataSource], useFactory: (ds: DataSource) => new LedgerReader(ds) },
    {
      // One per process: GET /api/ledger/verify and the background whole-chain check share its verified point.
      provide: ChainVerifier,
      inject: [LedgerReader, DataSource],
      useFactory: (reader: LedgerReader, ds: DataSource) => new ChainVerifier(reader, () => [new StoredTreeCheck(queryOf(ds))]),
    },
  ],
  exports: [DataSource, EventStore, LedgerReader, ChainVerifier],
})
export class LedgerModule implements OnApplicationShutdown {
  constructor(
    @Inject(EventStore) private readonly store: EventStore,
    @Inject(DataSource) private readonly ds: DataSource,
  ) {}

  async onApplicationShutdown(): Promise<void> {
    await this.store.close();
    if (this.ds.isInitialized) await this.ds.destroy();
  }
}
