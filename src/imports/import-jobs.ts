import { Logger } from '@nestjs/common';
import { reportWorkerErrors, closeBullMq } from '../jobs/bullmq';
import { Queue, Worker } from 'bullmq';
import IORedis from 'ioredis';
import type { ImportStore } from './import-store';
import type { ImportOutcome } from './import-processor';

/** The BullMQ queue of imports (one job per import, id `import_<importId>`). */
export const IMPORT_QUEUE = 'import';

export interface ImportJobsOptions {
  redisUrl: string | null;
  queuePrefix: string;
  /** Whether this process runs imports (with Redis: RUN_WORKERS; without: the API process always does). */
  runWorkers: boolean;
  pollIntervalMs: number;
  lockDurationMs: number;
  stalledIntervalMs: number;
}

/**
 * Moves imports to whoever runs them. The imports table is the truth: every poll looks for
 * imports not done yet (queued, or running when a process died) and hands each on.
 * - Without Redis: this process runs them, one at a time, resuming a stopped one where it stopped.
 * - With Redis: one BullMQ job per import (a deterministic id, so adding it again is a no-op);
 *   a worker that dies loses its lock and another worker (or the same, restarted) takes the job
 *   over after JOB_LOCK_DURATION_MS, resuming from the import's checkpoint.
 * Uploads never talk to Redis: the poll (every POLL_INTERVAL_MS, and at once after an upload in
 * this process) does.
 */
export class ImportJobs {
  private readonly logger = new Logger('Imports');
  private readonly queue: Queue | null = null;
  private readonly worker: Worker | null = null;
  private readonly connection: IORedis | null = null;
  private timer: NodeJS.Timeout | null = null;
  private polling: Promise<void> | null = null;
  private inProcess: Promise<void> | null = null;
  private stopping = false;

  constructor(
    private readonly imports: ImportStore,
    private readonly run: (importId: string, shouldStop: () => boolean) => Promise<ImportOutcome>,
    private readonly options: ImportJobsOptions,
  ) {
    if (options.redisUrl) {
      this.connection = new IORedis(options.redisUrl, { maxRetriesPerRequest: null });
      this.connection.on('error', () => undefined);
      this.queue = new Queue(IMPORT_QUEUE, {
        connection: this.connection,
        prefix: options.queuePrefix,
        defaultJobOptions: { attempts: 20, backoff: { type: 'exponential', delay: 500 }, removeOnComplete: true, removeOnFail: true },
      });
      this.queue.on('error', () => undefined);
      if (options.runWorkers) {
        this.worker = new Worker<{ importId: string }>(IMPORT_QUEUE, async (job) => this.run(job.data.importId, () => this.stopping), {
          connection: this.connection,
          prefix: options.queuePrefix,
          concurrency: 1,
          lockDuration: options.lockDurationMs,
          stalledInterval: options.stalledIntervalMs,
          maxStalledCount: 100,
        });
        this.worker.on('failed', (job, err) => this.logger.warn(`import job ${job?.id} failed (attempt ${job?.attemptsMade}): ${err.message}`));
        reportWorkerErrors(this.worker, 'import worker', this.logger);
      }
    }
  }

  start(): void {
    if (!this.options.redisUrl && !this.options.runWorkers) return;
    this.timer = setInterval(() => this.kick(), this.options.pollIntervalMs);
    this.timer.unref();
    this.kick();
  }

  /** Looks for unfinished imports now (after an upload). */
  kick(): void {
    if (this.stopping || this.polling) return;
    this.polling = this.poll()
      .catch((err: Error) => this.logger.warn(`import poll: ${err.message}`))
      .finally(() => (this.polling = null));
  }

  private async poll(): Promise<void> {
    const ids = await this.imports.unfinished();
    if (ids.length === 0) return;
    if (this.queue) {
      await this.queue.addBulk(ids.map((importId) => ({ name: IMPORT_QUEUE, data: { importId }, opts: { jobId: `import_${importId}` } })));
      return;
    }
    if (this.options.runWorkers && !this.inProcess) {
      this.inProcess = (async () => {
        for (const id of ids) {
          if (this.stopping) return;
          try {
            await this.run(id, () => this.stopping);
          } catch (err) {
            this.logger.warn(`import ${id}: ${(err as Error).message}; will retry`);
          }
        }
      })().finally(() => (this.inProcess = null));
    }
  }

  async close(): Promise<void> {
    this.stopping = true;
    if (this.timer) clearInterval(this.timer);
    await this.polling;
    await this.inProcess;
    // Quick with Redis away too (see closeBullMq).
    await closeBullMq({ workers: this.worker ? [this.worker] : [], queues: this.queue ? [this.queue] : [], connections: this.connection ? [this.connection] : [] });
  }
}
