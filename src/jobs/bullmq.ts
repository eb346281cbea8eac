import { Logger } from '@nestjs/common';
import { Queue, Worker, type JobsOptions } from 'bullmq';
import IORedis, { type RedisOptions } from 'ioredis';
import { QUEUE_NAMES, type JobData, type PlannedJob, type QueueName } from './job-plan';
import type { JobSink } from './job-sink';
import type { VerificationJobs } from './verification-jobs';

export const DEFAULT_JOB_OPTIONS: JobsOptions = {
  attempts: 8,
  backoff: { type: 'exponential', delay: 200 },
  // Completed jobs are kept a while so a re-delivered job id is recognised; failed ones stay with their reason.
  removeOnComplete: { age: 24 * 3600, count: 50_000 },
  removeOnFail: false,
};

export function redisConnection(url: string, extra: RedisOptions = {}): IORedis {
  return new IORedis(url, { lazyConnect: false, ...extra });
}

/** Hands jobs to BullMQ. A Redis that does not answer makes deliver() throw; the log keeps the work. */
export class BullMqJobSink implements JobSink {
  readonly mode = 'bullmq' as const;
  private readonly connection: IORedis;
  private readonly queues = new Map<QueueName, Queue>();

  constructor(redisUrl: string, prefix: string) {
    // Fail fast while Redis is away instead of queueing commands in memory.
    this.connection = redisConnection(redisUrl, { enableOfflineQueue: false, maxRetriesPerRequest: 1 });
    this.connection.on('error', () => undefined); // reported through deliver() failures and /health
    for (const name of QUEUE_NAMES) {
      this.queues.set(name, new Queue(name, { connection: this.connection, prefix, defaultJobOptions: DEFAULT_JOB_OPTIONS }));
    }
  }

  queue(name: QueueName): Queue {
    return this.queues.get(name)!;
  }

  async ping(): Promise<boolean> {
    try {
      return (await this.connection.ping()) === 'PONG';
    } catch {
      return false;
    }
  }

  async deliver(jobs: PlannedJob[]): Promise<void> {
    const byQueue = new Map<QueueName, PlannedJob[]>();
    for (const job of jobs) byQueue.set(job.queue, [...(byQueue.get(job.queue) ?? []), job]);
    for (const [name, list] of byQueue) {
      await this.queue(name).addBulk(list.map((j) => ({ name, data: j.data, opts: { jobId: j.jobId } })));
    }
  }

  async close(): Promise<void> {
    for (const q of this.queues.values()) await q.close().catch(() => undefined);
    await this.connection.quit().catch(() => this.connection.disconnect());
  }
}

export interface WorkerOptions {
  concurrency: number;
  lockDurationMs: number;
  stalledIntervalMs: number;
}

/** BullMQ workers for every queue, each running the shared handlers. */
export class BullMqWorkers {
  private readonly logger = new Logger('Workers');
  private readonly workers: Worker[] = [];
  private readonly connection: IORedis;
  completed = 0;
  failed = 0;

  constructor(
    redisUrl: string,
    prefix: string,
    private readonly jobs: VerificationJobs,
    private readonly options: WorkerOptions,
  ) {
    this.connection = redisConnection(redisUrl, { maxRetriesPerRequest: null });
    this.connection.on('error', () => undefined);
    for (const name of QUEUE_NAMES) {
      const worker = new Worker<JobData>(
        name,
        async (job) => {
          const outcome = await this.jobs.run(name, job.data);
          return outcome;
        },
        {
          connection: this.connection,
          prefix,
          concurrency: options.concurrency,
          lockDuration: options.lockDurationMs,
          stalledInterval: options.stalledIntervalMs,
          maxStalledCount: 3,
          autorun: true,
        },
      );
      worker.on('completed', () => this.completed++);
      worker.on('failed', (job, err) => {
        this.failed++;
        this.logger.warn(`job ${job?.id} on ${name} failed (attempt ${job?.attemptsMade}): ${err.message}`);
      });
      worker.on('error', (err) => this.logger.warn(`worker ${name}: ${err.message}`));
      this.workers.push(worker);
    }
  }

  async close(): Promise<void> {
    // close() waits for jobs in progress to finish, so nothing half-done is left behind.
    await Promise.all(this.workers.map((w) => w.close().catch(() => undefined)));
    await this.connection.quit().catch(() => this.connection.disconnect());
  }
}
