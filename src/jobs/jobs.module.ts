import { Inject, Logger, Module, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { EventStore } from '../ledger/event-store';
import { LedgerReader } from '../ledger/ledger-reader';
import { BullMqJobSink, BullMqWorkers } from './bullmq';
import { DeadLetterStore } from './dead-letters';
import { InlineJobSink } from './inline-sink';
import { JOB_RUNNER, type JobRunner } from './job-runner';
import { LogDispatcher } from './log-dispatcher';
import type { JobSink } from './job-sink';

export const JOB_SINK = Symbol('JOB_SINK');
export const JOB_WORKERS = Symbol('JOB_WORKERS');

/**
 * Verification jobs. REDIS_URL set: the dispatcher feeds BullMQ and (unless RUN_WORKERS=false)
 * this process runs workers too. Unset: the same handlers run in-process after each commit.
 * Either way each job goes to JOB_RUNNER, which the app's assembly provides (app.module.ts):
 * this module only moves work.
 */
@Module({
  providers: [
    { provide: DeadLetterStore, inject: [EventStore, DataSource], useFactory: (store: EventStore, ds: DataSource) => new DeadLetterStore(store, ds) },
    {
      provide: JOB_SINK,
      inject: [APP_CONFIG, JOB_RUNNER, DeadLetterStore],
      useFactory: (config: AppConfig, runner: JobRunner, deadLetters: DeadLetterStore): JobSink =>
        config.redisUrl ? new BullMqJobSink(config.redisUrl, config.queuePrefix) : new InlineJobSink(runner, deadLetters),
    },
    {
      provide: LogDispatcher,
      inject: [EventStore, LedgerReader, DataSource, JOB_SINK, APP_CONFIG, DeadLetterStore],
      useFactory: (store: EventStore, reader: LedgerReader, ds: DataSource, sink: JobSink, config: AppConfig, deadLetters: DeadLetterStore) =>
        new LogDispatcher(store, reader, ds, sink, config.pollIntervalMs, deadLetters),
    },
    {
      provide: JOB_WORKERS,
      inject: [APP_CONFIG, JOB_RUNNER],
      useFactory: (config: AppConfig, runner: JobRunner) =>
        config.redisUrl && config.runWorkers
          ? new BullMqWorkers(config.redisUrl, config.queuePrefix, runner, {
              concurrency: config.workerConcurrency,
              lockDurationMs: config.jobLockDurationMs,
              stalledIntervalMs: config.jobStalledIntervalMs,
            })
          : null,
    },
  ],
  exports: [LogDispatcher, JOB_SINK, JOB_WORKERS, DeadLetterStore],
})
export class JobsModule implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('Jobs');

  constructor(
    private readonly dispatcher: LogDispatcher,
    @Inject(JOB_SINK) private readonly sink: JobSink,
    @Inject(JOB_WORKERS) private readonly workers: BullMqWorkers | null,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.dispatcher.start();
    this.logger.log(`jobs: ${this.sink.mode}${this.workers ? ' with workers in this process' : ''}`);
  }

  /** Before the database closes: stop dispatching, let running jobs finish, close Redis. */
  async onModuleDestroy(): Promise<void> {
    await this.dispatcher.stop();
    await this.workers?.close();
    await this.sink.close();
  }
}
