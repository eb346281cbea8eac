import { Logger } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import type { EventStore } from '../ledger/event-store';
import type { LedgerReader } from '../ledger/ledger-reader';
import { readCheckpoint, saveCheckpoint } from './checkpoints';
import { planJobs } from './job-plan';
import { trace, now } from './trace';
import { lastBeginAt } from '../ledger/event-store';
import type { HandOverProgress, JobSink } from './job-sink';

export const DISPATCHER_CHECKPOINT = 'job-dispatcher';
const PAGE = 500;
/** How often (at most) a BullMQ dispatcher records in the database how far the jobs have finished. */
const FINISHED_EVERY_MS = 1000;

export interface DispatcherStatus {
  mode: 'bullmq' | 'inline';
  checkpoint: number;
  head: number;
  lag: number;
  healthy: boolean;
  lastError: string | null;
}

/**
 * Reads the log after its durable checkpoint and hands the jobs each event calls for to the
 * sink; the checkpoint moves only once the sink has taken them. So a crash or a Redis outage
 * delays work but never loses it, and a restart re-delivers at most the last page, which
 * deterministic job ids and idempotent handlers absorb.
 *
 * With BullMQ, "taken" is not "done": Redis may lose jobs it accepted (restarted without its
 * data). So there the database checkpoint is the *finished* watermark (every job up to it
 * completed, read from the queues in one atomic look), and how far hand-over has got is kept in
 * Redis itself (HandOverProgress), where it disappears together with the jobs. A Redis that comes
 * back empty has no hand-over state: the dispatcher starts it at the finished watermark and hands
 * over again everything after it; job ids and idempotent handlers make the repeats harmless.
 */
export class LogDispatcher {
  private readonly logger = new Logger('Dispatcher');
  private checkpoint = 0;
  private head = 0;
  private running: Promise<void> | null = null;
  private again = false;
  private stopped = false;
  private timer: NodeJS.Timeout | null = null;
  private unsubscribe: (() => void) | null = null;
  private failures = 0;
  private lastError: string | null = null;
  private retryAt = 0;
  /** The queue store's hand-over token this dispatcher last worked with (BullMQ). */
  private handOverToken: string | null = null;
  /** Hash of the log's first event: names this ledger in Redis. */
  private ledgerId: string | null = null;
  private finishedCheckedAt = 0;

  constructor(
    private readonly store: EventStore,
    private readonly reader: LedgerReader,
    private readonly ds: DataSource,
    private readonly sink: JobSink,
    private readonly pollIntervalMs: number,
  ) {}

  async start(): Promise<void> {
    this.checkpoint = await readCheckpoint(this.ds, DISPATCHER_CHECKPOINT);
    this.unsubscribe = this.store.onCommit((_h, appended) => {
      const t = now();
      for (const e of appended) if (e.type === 'EvidenceSubmitted') trace('commit', e.position, t);
      for (const e of appended) if (e.type === 'VerificationStatusChanged') trace('vcommit', (e.metadata as { causationId: string }).causationId, t);
      trace('hold', appended.length, t, (t - lastBeginAt()).toFixed(3));
      this.wake();
    });
    // Polling finds rows other processes wrote; commits in this process wake it at once.
    this.timer = setInterval(() => this.wake(), this.pollIntervalMs);
    this.timer.unref();
    this.wake();
  }

  wake(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.loop().finally(() => {
      this.running = null;
      if (this.again && !this.stopped) {
        this.again = false;
        this.wake();
      }
    });
  }

  /** Resolves when everything up to the current head has been handed over (tests, shutdown). */
  async drained(timeoutMs = 10_000): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const head = (await this.reader.head()).position;
      if (this.checkpoint >= head && !this.running) return true;
      this.wake();
      await new Promise((r) => setTimeout(r, 20));
    }
    return false;
  }

  async status(): Promise<DispatcherStatus> {
    this.head = (await this.reader.head()).position;
    const checkpoint = Math.max(this.checkpoint, await readCheckpoint(this.ds, DISPATCHER_CHECKPOINT));
    return {
      mode: this.sink.mode,
      checkpoint,
      head: this.head,
      lag: Math.max(0, this.head - checkpoint),
      healthy: this.failures === 0,
      lastError: this.lastError,
    };
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.unsubscribe?.();
    await this.running;
  }

  private async loop(): Promise<void> {
    if (Date.now() < this.retryAt) return;
    try {
      if (this.sink.progress) {
        await this.handOverToQueues(this.sink.progress);
        return;
      }
      for (;;) {
        if (this.stopped) return;
        // Another dispatcher may have moved the shared checkpoint past us.
        this.checkpoint = Math.max(this.checkpoint, await readCheckpoint(this.ds, DISPATCHER_CHECKPOINT));
        const events = await this.reader.readAfter(this.checkpoint, PAGE);
        if (events.length === 0) break;
        const jobs = events.flatMap(planJobs);
        if (jobs.length > 0) await this.sink.deliver(jobs);
        const last = events[events.length - 1].position;
        await saveCheckpoint(this.store, DISPATCHER_CHECKPOINT, last);
        this.checkpoint = last;
        this.delivered();
      }
    } catch (err) {
      this.failures++;
      this.lastError = (err as Error).message;
      const backoff = Math.min(5_000, 100 * 2 ** Math.min(this.failures, 6));
      this.retryAt = Date.now() + backoff;
      if (this.failures === 1 || this.failures % 20 === 0) {
        this.logger.warn(`could not hand over jobs (attempt ${this.failures}): ${this.lastError}; the log keeps them, retrying`);
      }
      setTimeout(() => this.wake(), backoff).unref();
    }
  }

  private delivered(): void {
    if (this.failures > 0) this.logger.log(`delivering again after ${this.failures} failed attempt(s)`);
    this.failures = 0;
    this.lastError = null;
  }

  /** BullMQ: hand over from where Redis says hand-over stands (or, if it lost that, from the finished watermark). */
  private async handOverToQueues(progress: HandOverProgress): Promise<void> {
    if (!this.ledgerId) {
      const first = await this.reader.readAfter(0, 1);
      if (first.length === 0) return; // an empty log has nothing to hand over
      this.ledgerId = first[0].hash.slice(0, 16);
      progress.useLedger(this.ledgerId);
    }
    for (;;) {
      if (this.stopped) return;
      const finished = await readCheckpoint(this.ds, DISPATCHER_CHECKPOINT);
      const state = await progress.read(finished);
      if (state.position > (await this.reader.head()).position) {
        // Redis remembers handing over positions this log does not have (a database restored
        // from a backup): that state is not ours; start again from the finished watermark.
        this.logger.warn(`Redis says positions up to ${state.position} were handed over, beyond this log's head: starting again from ${finished}`);
        await progress.forget(state);
        continue;
      }
      if (state.token !== this.handOverToken) {
        if (state.started && this.handOverToken !== null) {
          this.logger.warn(`Redis lost the queued jobs (restarted without its data?): handing over again everything after position ${finished}`);
        }
        this.handOverToken = state.token;
      }
      const from = Math.max(state.position, finished);
      this.checkpoint = from;
      const t0 = now();
      const events = await this.reader.readAfter(from, PAGE);
      if (events.length === 0) break;
      const t1 = now();
      const jobs = events.flatMap(planJobs);
      if (jobs.length > 0) await this.sink.deliver(jobs);
      const t2 = now();
      for (const j of jobs) { trace('loop', j.data.position, t0); trace('read', j.data.position, t1); trace('added', j.data.position, t2); }
      const last = events[events.length - 1].position;
      // Refused when Redis was emptied meanwhile: what was just delivered may be gone, so read again.
      if (await progress.advance(state, last)) this.checkpoint = last;
      this.delivered();
    }
    this.delivered();
    if (Date.now() - this.finishedCheckedAt >= FINISHED_EVERY_MS) {
      this.finishedCheckedAt = Date.now();
      const finished = await progress.finishedUpTo();
      if (finished !== null && finished > (await readCheckpoint(this.ds, DISPATCHER_CHECKPOINT))) {
        await saveCheckpoint(this.store, DISPATCHER_CHECKPOINT, finished);
      }
    }
  }
}
