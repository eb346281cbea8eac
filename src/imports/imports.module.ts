import { Inject, Module, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { EventStore } from '../ledger/event-store';
import { LedgerReader } from '../ledger/ledger-reader';
import { ImportJobs } from './import-jobs';
import { ImportProcessor } from './import-processor';
import { ImportStore } from './import-store';
import { ImportsController } from './imports.controller';
import { ImportsService, importDirOf } from './imports.service';

/** The import runner: a process that runs jobs (the API without Redis; BullMQ workers with it) runs imports. */
@Module({
  providers: [
    { provide: ImportStore, inject: [EventStore, DataSource], useFactory: (store: EventStore, ds: DataSource) => new ImportStore(store, ds) },
    {
      provide: ImportJobs,
      inject: [ImportStore, EventStore, LedgerReader, DataSource, APP_CONFIG],
      useFactory: (imports: ImportStore, store: EventStore, reader: LedgerReader, ds: DataSource, config: AppConfig) => {
        const processor = new ImportProcessor(store, reader, ds, imports, { pauseAfterBatchMs: config.jobPauseBeforeAppendMs, batchRows: config.importBatchRows });
        return new ImportJobs(imports, (id, shouldStop) => processor.run(id, shouldStop), {
          redisUrl: config.redisUrl,
          queuePrefix: config.queuePrefix,
          runWorkers: config.redisUrl ? config.runWorkers : true,
          pollIntervalMs: config.pollIntervalMs,
          lockDurationMs: config.jobLockDurationMs,
          stalledIntervalMs: config.jobStalledIntervalMs,
        });
      },
    },
  ],
  exports: [ImportStore, ImportJobs],
})
export class ImportRunnerModule implements OnApplicationBootstrap, OnModuleDestroy {
  constructor(@Inject(ImportJobs) private readonly jobs: ImportJobs) {}

  onApplicationBootstrap(): void {
    this.jobs.start();
  }

  async onModuleDestroy(): Promise<void> {
    await this.jobs.close();
  }
}

/** The import routes (API process) over the runner. */
@Module({
  imports: [ImportRunnerModule],
  controllers: [ImportsController],
  providers: [
    {
      provide: ImportsService,
      inject: [ImportStore, ImportJobs, APP_CONFIG],
      useFactory: (imports: ImportStore, jobs: ImportJobs, config: AppConfig) =>
        new ImportsService(imports, jobs, { dir: importDirOf(config), maxBytes: config.importMaxBytes }),
    },
  ],
})
export class ImportsModule {}
