import { Logger } from '@nestjs/common';
import { OutageLog } from '../common/outage-log';
import { randomUUID } from 'node:crypto';
import { Queue, Worker, type JobsOptions } from 'bullmq';
import IORedis, { type RedisOptions } from 'ioredis';
import { QUEUE_NAMES, type JobData, type PlannedJob, type QueueName } from './job-plan';
import type { DeadLetter, FailedJob } from './dead-letters';
import type { HandOver, HandOverProgress, JobSink, RetriedJobState } from './job-sink';
import type { JobRunner } from './job-runner';

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

/** Moves `token:position` up, only while the key still holds that token (Redis was not emptied meanwhile). */
const ADVANCE_SCRIPT = `
local cur = redis.call('GET', KEYS[1])
if not cur then return 0 end
local token, pos = string.match(cur, '^(.+):(%d+)$')
if token ~= ARGV[1] then return 0 end
if tonumber(ARGV[2]) > tonumber(pos) then redis.call('SET', KEYS[1], token .. ':' .. ARGV[2]) end
return 1`;

/**
 * Atomically: the hand-over position; the lowest position any unfinished job (waiting, active,
 * paused, prioritized, delayed, waiting for children) was planned from; and the ids of failed
 * jobs (failed for good: BullMQ's failed set holds only jobs out of attempts) planned from a
 * position after ARGV[1]. Job ids end in _<position> (job-plan.ts). Returns false without
 * hand-over state, else {position, lowest or -1, failed ids...}. Failed jobs do not hold the
 * watermark: the dispatcher records them as dead letters before it moves past them.
 */
const FINISHED_SCRIPT = `
local cur = redis.call('GET', KEYS[1])
if not cur then return false end
local handed = tonumber(string.match(cur, ':(%d+)$'))
local after = tonumber(ARGV[1])
local failedFrom = tonumber(ARGV[2])
local lowest = -1
local out = {handed, lowest}
for i = 2, #KEYS do
  local kind = redis.call('TYPE', KEYS[i]).ok
  local ids = {}
  if kind == 'list' then ids = redis.call('LRANGE', KEYS[i], 0, -1)
  elseif kind == 'zset' then ids = redis.call('ZRANGE', KEYS[i], 0, -1) end
  for _, id in ipairs(ids) do
    local p = tonumber(string.match(id, '_(%d+)$'))
    if p then
      if i >= failedFrom then
        if p > after then table.insert(out, id) end
      elseif lowest < 0 or p < lowest then lowest = p end
    end
  end
end
out[2] = lowest
return out`;

/** Deletes the hand-over key only if it still holds that token. */
const FORGET_SCRIPT = `
local cur = redis.call('GET', KEYS[1])
if cur and string.match(cur, '^(.+):%d+$') == ARGV[1] then redis.call('DEL', KEYS[1]) end
return 1`;

const UNFINISHED_STATES = ['wait', 'active', 'paused', 'prioritized', 'delayed', 'waiting-children'];
/** Where a job id's position is: `<queue>_<hash12>_<position>`. */
const positionOf = (jobId: string): number | null => {
  const m = /_(\d+)$/.exec(jobId);
  return m ? Number(m[1]) : null;
};

/** Hands jobs to BullMQ. A Redis that does not answer makes deliver() throw; the log keeps the work. */
export class BullMqJobSink implements JobSink {
  readonly mode = 'bullmq' as const;
  private readonly connection: IORedis;
  private readonly queues = new Map<QueueName, Queue>();
  private handOverKey: string;

  /**
   * The hand-over position lives in Redis next to the jobs (`<prefix>:ledger-dispatch:handed`,
   * "<token>:<position>"): if Redis loses its data, it loses both, and the dispatcher starts
   * again from the database's finished watermark instead of believing the lost jobs were taken.
   */
  readonly progress: HandOverProgress = {
    useLedger: (ledgerId) => {
      this.handOverKey = `${this.prefix}:ledger-dispatch:${ledgerId}:handed`;
    },
    forget: async (state) => {
      await this.connection.eval(FORGET_SCRIPT, 1, this.handOverKey, state.token);
    },
    read: (seed) => this.readHandOver(seed),
    advance: async (from, position) =>
      Number(await this.connection.eval(ADVANCE_SCRIPT, 1, this.handOverKey, from.token, String(position))) === 1,
    finishedUpTo: async (after) => {
      const queues = [...this.queues.values()];
      const keys = [...queues.flatMap((q) => UNFINISHED_STATES.map((state) => q.keys[state])), ...queues.map((q) => q.keys.failed)];
      const failedFrom = 2 + queues.length * UNFINISHED_STATES.length; // KEYS index (1-based) of the first failed set
      const answer = (await this.connection.eval(FINISHED_SCRIPT, 1 + keys.length, this.handOverKey, ...keys, String(after), String(failedFrom))) as
        | Array<number | string>
        | null;
      if (!answer) return null;
      const [handed, lowest] = answer.slice(0, 2).map(Number);
      if (!Number.isInteger(handed)) return null;
      const position = lowest < 0 ? handed : Math.min(handed, lowest - 1);
      const failed = answer.slice(2).map(String).filter((id) => (positionOf(id) ?? Infinity) <= position);
      return { position, failed };
    },
    failedJobs: async (ids) => {
      const out: FailedJob[] = [];
      for (const id of ids) {
        const queue = this.queueOfJob(id);
        const job = queue ? await queue.getJob(id) : undefined;
        if (!queue || !job) return null; // gone meanwhile (Redis emptied?): look again next time
        const data: JobData = job.data;
        out.push({
          id,
          queue: queue.name as QueueName,
          data,
          lastError: job.failedReason || 'failed without a reason',
          attempts: job.attemptsMade,
          failedAt: new Date(job.finishedOn ?? Date.now()),
        });
      }
      return out;
    },
    jobStates: async (ids) => {
      const out = new Map<string, RetriedJobState>();
      for (const id of ids) {
        const queue = this.queueOfJob(id);
        const state = queue ? await queue.getJobState(id) : 'unknown';
        out.set(id, state === 'completed' ? 'completed' : state === 'failed' ? 'failed' : state === 'unknown' ? 'missing' : 'pending');
      }
      return out;
    },
    dropFinishedAfter: async (position) => {
      // A database restored from a copy lost what jobs after its finished watermark appended; BullMQ
      // still remembers those jobs as done and would ignore their ids when handed over again.
      let dropped = 0;
      for (const queue of this.queues.values()) {
        for (const key of [queue.keys.completed, queue.keys.failed]) {
          const ids = await this.connection.zrange(key, '0', '-1');
          for (const id of ids) {
            if ((positionOf(id) ?? -1) > position) dropped += await queue.remove(id);
          }
        }
      }
      return dropped;
    },
  };

  /** The queue a job id belongs to (`<queue>_…`), if it is one of ours. */
  private queueOfJob(jobId: string): Queue | undefined {
    return this.queues.get(jobId.slice(0, jobId.indexOf('_')) as QueueName);
  }

  constructor(
    redisUrl: string,
    private readonly prefix: string,
  ) {
    this.handOverKey = `${prefix}:ledger-dispatch:handed`;
    // Fail fast while Redis is away instead of queueing commands in memory.
    this.connection = redisConnection(redisUrl, { enableOfflineQueue: false, maxRetriesPerRequest: 1 });
    this.connection.on('error', () => undefined); // reported through deliver() failures and /health
    for (const name of QUEUE_NAMES) {
      const queue = new Queue(name, { connection: this.connection, prefix, defaultJobOptions: DEFAULT_JOB_OPTIONS });
      // Without a listener BullMQ prints every reconnect failure to stderr while Redis is away.
      queue.on('error', () => undefined);
      this.queues.set(name, queue);
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

  /**
   * For /health: per queue, the live workers (BullMQ counts its workers' Redis connections) and
   * how long the oldest job still waiting has waited (null: none waits).
   */
  async workerStatus(now = Date.now()): Promise<Array<{ queue: QueueName; workers: number; oldestWaitingMs: number | null }>> {
    const out: Array<{ queue: QueueName; workers: number; oldestWaitingMs: number | null }> = [];
    for (const [name, q] of this.queues) {
      const [workers, [oldest]] = await Promise.all([q.getWorkersCount(), q.getJobs(['wait'], 0, 0, true)]);
      out.push({ queue: name, workers, oldestWaitingMs: oldest ? Math.max(0, now - oldest.timestamp) : null });
    }
    return out;
  }

  async deliver(jobs: PlannedJob[]): Promise<void> {
    const byQueue = new Map<QueueName, PlannedJob[]>();
    for (const job of jobs) byQueue.set(job.queue, [...(byQueue.get(job.queue) ?? []), job]);
    for (const [name, list] of byQueue) {
      await this.queue(name).addBulk(list.map((j) => ({ name, data: j.data, opts: { jobId: j.jobId } })));
    }
  }

  /**
   * A dead letter back to its queue under its own job id: a failed job is retried in place (its
   * attempts start again), a job Redis no longer has is added again. BullMQ keeps one job per id,
   * and the handlers append nothing for work already done, so a retry never attaches twice.
   */
  async retry(letter: DeadLetter): Promise<void> {
    const queue = this.queue(letter.queue);
    const job = await queue.getJob(letter.id);
    const state = job ? await job.getState() : 'unknown';
    if (job && state === 'failed') {
      await job.retry('failed', { resetAttemptsMade: true, resetAttemptsStarted: true });
      return;
    }
    if (job && state === 'completed') await queue.remove(letter.id); // done once already: run it again
    else if (job) return; // waiting, delayed or running already
    await queue.add(letter.queue, letter.data, { jobId: letter.id });
  }

  async close(): Promise<void> {
    await closeBullMq({ queues: [...this.queues.values()], connections: [this.connection] });
  }

  private async readHandOver(seed: number): Promise<HandOver> {
    for (let attempt = 0; attempt < 5; attempt++) {
      const cur = await this.connection.get(this.handOverKey);
      const m = cur ? /^(.+):(\d+)$/.exec(cur) : null;
      if (m) return { token: m[1], position: Number(m[2]), started: false };
      if (cur) await this.connection.del(this.handOverKey); // garbled: start afresh
      const token = randomUUID();
      if ((await this.connection.set(this.handOverKey, `${token}:${seed}`, 'NX')) === 'OK') return { token, position: seed, started: true };
      // Another dispatcher started it between the two commands: read theirs.
    }
    throw new Error('could not read the hand-over state from Redis');
  }
}

export interface WorkerOptions {
  concurrency: number;
  lockDurationMs: number;
  stalledIntervalMs: number;
}

/** BullMQ workers for every queue, each handing its jobs to the runner. */
export class BullMqWorkers {
  private readonly logger = new Logger('Workers');
  private readonly workers: Worker[] = [];
  private readonly connection: IORedis;
  completed = 0;
  failed = 0;

  constructor(
    redisUrl: string,
    prefix: string,
    private readonly runner: JobRunner,
    private readonly options: WorkerOptions,
  ) {
    this.connection = redisConnection(redisUrl, { maxRetriesPerRequest: null });
    trackRedisConnection(this.connection);
    for (const name of QUEUE_NAMES) {
      const worker = new Worker<JobData>(
        name,
        async (job) => this.runner.run(name, job.data),
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
        const final = job ? job.attemptsMade >= (job.opts.attempts ?? 1) : false;
        // A final failure stays in BullMQ's failed set; the dispatcher records it as a dead letter.
        this.logger.warn(`job ${job?.id} on ${name} failed (attempt ${job?.attemptsMade})${final ? ', out of attempts: it becomes a dead letter' : ''}: ${err.message}`);
      });
      reportWorkerErrors(worker, `worker ${name}`, this.logger);
      this.workers.push(worker);
    }
  }

  async close(): Promise<void> {
    await closeBullMq({ workers: this.workers, connections: [this.connection] });
  }
}

/**
 * One per process: every BullMQ connection and worker reports to it, so a Redis outage is one
 * warning and its end one line, not a line per worker per reconnect attempt.
 */
export const redisOutage = new OutageLog(new Logger('Redis'), 'Redis is unreachable: jobs wait, the log keeps them', 'Redis is back: jobs go on');

/** Reports a connection's outages and recovery to `redisOutage`. */
export function trackRedisConnection(connection: IORedis): void {
  connection.on('error', (err: Error) => redisOutage.down(err.message));
  connection.on('ready', () => redisOutage.up());
}

/** A worker's connection errors go to `redisOutage`; any other error is logged as it comes. */
export function reportWorkerErrors(worker: Worker, label: string, logger: Pick<Logger, 'warn'>): void {
  worker.on('error', (err) => (isConnectionError(err) ? redisOutage.down(err.message) : logger.warn(`${label}: ${err.message}`)));
}

/**
 * Closes BullMQ workers, queues and their connections. With Redis up: workers finish the jobs
 * they run (nothing half-done is left), then queues and connections close. With Redis away, a
 * graceful close would wait for a reconnect that may never come (BullMQ waits for its connection
 * to be ready): workers are let go at once (their jobs' locks expire and the jobs run again) and
 * the connections are dropped, so a shutdown during an outage ends at once.
 */
export async function closeBullMq(
  parts: { workers?: Worker[]; queues?: Queue[]; connections: IORedis[] },
  graceMs = CLOSE_GRACE_MS,
): Promise<void> {
  const up = parts.connections.every((c) => c.status === 'ready');
  if (!up) {
    await Promise.all((parts.workers ?? []).map((w) => Promise.race([w.close(true), delay(200)]).catch(() => undefined)));
    for (const c of parts.connections) c.disconnect();
    return;
  }
  // Every step is bounded: a worker's own blocking connection can still be in its reconnect
  // back-off after an outage, and a graceful close would wait for it. Past the grace, workers are
  // let go (their jobs' locks expire and the jobs run again; attachment stays exactly-once).
  await Promise.all(
    (parts.workers ?? []).map(async (w) => {
      const closed = await Promise.race([w.close().then(() => true, () => true), delay(graceMs).then(() => false)]);
      if (!closed) await Promise.race([w.close(true), delay(200)]).catch(() => undefined);
    }),
  );
  for (const q of parts.queues ?? []) await Promise.race([q.close().catch(() => undefined), delay(graceMs)]);
  for (const c of parts.connections) {
    const quit = await Promise.race([c.quit().then(() => true, () => false), delay(1_000).then(() => false)]);
    if (!quit) c.disconnect();
  }
}

/** How long a graceful close waits for a worker's running jobs or a queue before letting go. */
export const CLOSE_GRACE_MS = 10_000;

const delay = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms).unref());

/** ioredis' own errors while a connection is down (not a job's or a script's error). */
function isConnectionError(err: Error & { code?: string }): boolean {
  return /ECONNREFUSED|ECONNRESET|ETIMEDOUT|EHOSTUNREACH|ENOTFOUND|EPIPE|Connection is closed|connect/i.test(`${err.code ?? ''} ${err.message}`);
}

