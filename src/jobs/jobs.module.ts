import { Inject, Logger, Module, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { EventStore } from '../ledger/event-store';
import { LedgerReader } from '../ledger/ledger-reader';
import { BullMqJobSink, BullMqWorkers } from './bullmq';
import { InlineJobSink } from './inline-sink';
import { LogDispatcher } from './log-dispatcher';
import { VerificationJobs } from './verification-jobs';
import type { JobSink } from './job-sink';

export const JOB_SINK = Symbol('JOB_SINK');
export const JOB_WORKERS = Symbol('JOB_WORKERS');

function envInt(name: string, fallback: number): number {
  const v = Number(process.env[name]);
  return Number.isInteger(v) && v >= 0 ? v : fallback;
}

/**
 * Verification jobs. REDIS_URL set: the dispatcher feeds BullMQ and (unless RUN_WORKERS=false)
 * this process runs workers too. Unset: the same handlers run in-process after each commit.
 */
@Module({
  providers: [
    {
      provide: VerificationJobs,
      inject: [EventStore, LedgerReader, DataSource],
      useFactory: (store: EventStore, reader: LedgerReader, ds: DataSource) =>
        new VerificationJobs(store, reader, ds, envInt('JOB_PAUSE_BEFORE_APPEND_MS', 0)),
    },
    {
      provide: JOB_SINK,
      inject: [APP_CONFIG, VerificationJobs],
      useFactory: (config: AppConfig, jobs: VerificationJobs): JobSink =>
        config.redisUrl ? new BullMqJobSink(config.redisUrl, config.queuePrefix) : new InlineJobSink(jobs),
    },
    {
      provide: LogDispatcher,
      inject: [EventStore, LedgerReader, DataSource, JOB_SINK, APP_CONFIG],
      useFactory: (store: EventStore, reader: LedgerReader, ds: DataSource, sink: JobSink, config: AppConfig) =>
        new LogDispatcher(store, reader, ds, sink, config.pollIntervalMs),
    },
    {
      provide: JOB_WORKERS,
      inject: [APP_CONFIG, VerificationJobs],
      useFactory: (config: AppConfig, jobs: VerificationJobs) =>
        config.redisUrl && config.runWorkers
          ? new BullMqWorkers(config.redisUrl, config.queuePrefix, jobs, {
              concurrency: envInt('WORKER_CONCURRENCY', 8),
              lockDurationMs: envInt('JOB_LOCK_DURATION_MS', 30_000),
              stalledIntervalMs: envInt('JOB_STALLED_INTERVAL_MS', 30_000),
            })
          : null,
    },
  ],
  exports: [LogDispatcher, JOB_SINK, JOB_WORKERS, VerificationJobs],
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
