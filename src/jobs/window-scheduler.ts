import { Logger } from '@nestjs/common';
import { Queue, Worker } from 'bullmq';
import type IORedis from 'ioredis';
import { idFromStream, type StoredEvent } from '../domain/events';
import type { EventStore } from '../ledger/event-store';
import type { LedgerReader } from '../ledger/ledger-reader';
import { WINDOW_QUEUE, type JobData, type JobOutcome } from '../verification/job-kinds';
import { redisConnection, reportWorkerErrors, closeBullMq } from './bullmq';

const PAGE = 500;
/** setTimeout's ceiling (about 24.8 days); later windows are re-armed when it fires. */
const MAX_TIMER_MS = 2_147_483_647;

export interface WindowSchedulerOptions {
  /** The time source (tests move it instead of sleeping). */
  now: () => Date;
  pollIntervalMs: number;
  /** With Redis: one delayed BullMQ job per window (job id `window-close_<claimId>`); without: a timer. */
  redisUrl: string | null;
  queuePrefix: string;
  /** Run the queue's worker in this process (BullMQ). */
  runWorker: boolean;
}

export interface WindowSchedulerDeps {
  store: Pick<EventStore, 'onCommit'>;
  reader: Pick<LedgerReader, 'readAfter' | 'head'>;
  /** Every pledge with a scope `until` (the pledge-scopes read model): the catch-up sweep's list. */
  listWindows: () => Promise<Array<{ claimId: string; until: string }>>;
  /** Closes one window (the verification handler; idempotent: appends ScopeWindowClosed at most once). */
  close: (data: JobData) => Promise<JobOutcome>;
}

/**
 * verdict-v2: ScopeWindowClosed is appended when a pledge's `until` passes, exactly once.
 * - At start, a catch-up sweep: every window that closed while the service was down is closed now.
 * - While running, new pledges are found in the log (read by position after the sweep's head,
 *   woken by commits, polled for other processes' writes) and scheduled:
 *   with Redis as a delayed BullMQ job with a deterministic id (two processes add one job),
 *   without Redis on a timer (and on every poll, so a clock moved forward is noticed).
 * The handler decides on the claim's stream with an expected version, so a second process, a
 * redelivered job or a sweep after the timer appends nothing more.
 */
export class WindowScheduler {
  private readonly logger = new Logger('Windows');
  /** Open windows known to this process: claimId → until (ms). */
  private readonly open = new Map<string, number>();
  private position = 0;
  private started = false;
  private stopped = false;
  private running: Promise<void> | null = null;
  private again = false;
  private pollTimer: NodeJS.Timeout | null = null;
  private dueTimer: NodeJS.Timeout | null = null;
  private unsubscribe: (() => void) | null = null;
  private connection: IORedis | null = null;
  private workerConnection: IORedis | null = null;
  queue: Queue | null = null;
  private worker: Worker | null = null;
  closed = 0;

  constructor(
    private readonly deps: WindowSchedulerDeps,
    private readonly options: WindowSchedulerOptions,
  ) {
    // The queue exists from construction, so the queue board (set up before start) shows it.
    if (options.redisUrl) {
      this.connection = redisConnection(options.redisUrl, { enableOfflineQueue: false, maxRetriesPerRequest: 1 });
      this.connection.on('error', () => undefined);
      this.queue = new Queue(WINDOW_QUEUE, {
        connection: this.connection,
        prefix: options.queuePrefix,
        defaultJobOptions: { attempts: 10, backoff: { type: 'exponential', delay: 500 }, removeOnComplete: { age: 7 * 24 * 3600 }, removeOnFail: false },
      });
      this.queue.on('error', () => undefined);
    }
  }

  async start(): Promise<void> {
    if (this.options.redisUrl && this.options.runWorker) {
      this.workerConnection = redisConnection(this.options.redisUrl, { maxRetriesPerRequest: null });
      this.workerConnection.on('error', () => undefined);
      this.worker = new Worker<JobData>(WINDOW_QUEUE, async (job) => {
        const outcome = await this.closeOne(job.data);
        // Ran early (this process's clock behind another's): fail, so BullMQ tries again with backoff.
        if (outcome.detail.startsWith('open until')) throw new Error(`window of claim ${job.data.claimId} is still ${outcome.detail}`);
        return outcome;
      }, {
        connection: this.workerConnection,
        prefix: this.options.queuePrefix,
        concurrency: 4,
      });
      reportWorkerErrors(this.worker, `worker ${WINDOW_QUEUE}`, this.logger);
    }
    // Everything up to the head is covered by the sweep; the log tail takes over after it.
    this.position = (await this.deps.reader.head()).position;
    for (const w of await this.deps.listWindows()) this.open.set(w.claimId, Date.parse(w.until));
    this.started = true;
    this.unsubscribe = this.deps.store.onCommit(() => this.wake());
    this.pollTimer = setInterval(() => this.wake(), this.options.pollIntervalMs);
    this.pollTimer.unref();
    await this.runOnce(true);
  }

  /** Looks at the log and the clock now (tests call it after moving their clock; polls call it too). */
  wake(): void {
    if (this.stopped || !this.started) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.runOnce(false)
      .catch((err: Error) => this.logger.warn(`window scheduling failed, retrying on the next poll: ${err.message}`))
      .finally(() => {
        this.running = null;
        if (this.again && !this.stopped) {
          this.again = false;
          this.wake();
        }
      });
  }

  /** Resolves once nothing is under way (tests). */
  async settled(): Promise<void> {
    while (this.running) await this.running;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.pollTimer) clearInterval(this.pollTimer);
    if (this.dueTimer) clearTimeout(this.dueTimer);
    this.unsubscribe?.();
    await this.settled();
    // Quick with Redis away too (see closeBullMq).
    await closeBullMq({
      workers: this.worker ? [this.worker] : [],
      queues: this.queue ? [this.queue] : [],
      connections: [this.workerConnection, this.connection].filter((c): c is NonNullable<typeof c> => !!c),
    });
  }

  /** Windows this process still sees open (tests, status). */
  openWindows(): number {
    return this.open.size;
  }

  private async runOnce(sweep: boolean): Promise<void> {
    await this.readLog();
    if (this.queue) {
      // With Redis: every window is a delayed job (a due one: no delay); ids make repeats no-ops.
      if (sweep || this.pendingAdds.size > 0) {
        const ids = sweep ? [...this.open.keys()] : [...this.pendingAdds];
        this.pendingAdds.clear();
        await this.enqueue(ids);
      }
      return;
    }
    await this.closeDue();
    this.armTimer();
  }

  private readonly pendingAdds = new Set<string>();

  private async readLog(): Promise<void> {
    for (;;) {
      const events = await this.deps.reader.readAfter(this.position, PAGE);
      for (const e of events) this.note(e);
      if (events.length > 0) this.position = events[events.length - 1].position;
      if (events.length < PAGE) return;
    }
  }

  private note(e: StoredEvent): void {
    if (e.type === 'ClaimRecorded' && e.data.kind === 'pledge' && e.data.scope?.until) {
      const claimId = idFromStream(e.streamId);
      this.open.set(claimId, Date.parse(e.data.scope.until));
      this.pendingAdds.add(claimId);
    } else if (e.type === 'ScopeWindowClosed') {
      this.open.delete(idFromStream(e.streamId));
    }
  }

  private async enqueue(claimIds: string[]): Promise<void> {
    const now = this.options.now().getTime();
    const jobs = claimIds
      .filter((id) => this.open.has(id))
      .map((claimId) => ({
        name: WINDOW_QUEUE,
        data: { claimId, position: 0, correlationId: `window-${claimId}` } satisfies JobData,
        opts: { jobId: `${WINDOW_QUEUE}_${claimId}`, delay: Math.max(0, this.open.get(claimId)! - now) },
      }));
    if (jobs.length > 0) await this.queue!.addBulk(jobs);
  }

  private async closeDue(): Promise<void> {
    const now = this.options.now().getTime();
    for (const [claimId, until] of [...this.open]) {
      if (this.stopped) return;
      if (until > now) continue;
      await this.closeOne({ claimId, position: 0, correlationId: `window-${claimId}` });
    }
  }

  private async closeOne(data: JobData): Promise<JobOutcome> {
    const outcome = await this.deps.close(data);
    if (outcome.appended > 0) this.closed++;
    if (outcome.appended > 0 || /closed already|no window/.test(outcome.detail)) this.open.delete(data.claimId!);
    return outcome;
  }

  private armTimer(): void {
    if (this.dueTimer) clearTimeout(this.dueTimer);
    this.dueTimer = null;
    if (this.stopped || this.open.size === 0) return;
    let next = Infinity;
    for (const until of this.open.values()) if (until < next) next = until;
    const delay = Math.min(MAX_TIMER_MS, Math.max(0, next - this.options.now().getTime()));
    this.dueTimer = setTimeout(() => this.wake(), delay);
    this.dueTimer.unref();
  }
}
