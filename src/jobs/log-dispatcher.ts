import { Logger } from '@nestjs/common';
import { CoalescingRunner } from '../common/coalescing-runner';
import type { DataSource } from 'typeorm';
import type { EventStore } from '../ledger/event-store';
import type { LedgerReader } from '../ledger/ledger-reader';
import { readCheckpoint, saveCheckpoint } from './checkpoints';
import { planJobs, type PlannedJob } from './job-plan';
import type { DeadLetterStore } from './dead-letters';
import type { HandOver, HandOverProgress, JobSink } from './job-sink';

export const DISPATCHER_CHECKPOINT = 'job-dispatcher';
const PAGE = 500;
/** How often (at most) a BullMQ dispatcher records in the database how far the jobs have finished. */
const FINISHED_EVERY_MS = 1000;
/** How soon after jobs went to BullMQ straight from a commit the loop reads the log and moves the hand-over position. */
const CATCH_UP_MS = 20;
/** At most this many early deliveries are remembered (beyond it the loop just adds them again). */
const EARLY_MEMORY = 10_000;

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
/** How long stop() waits for a pass in flight. */
const STOP_GRACE_MS = 10_000;

export class LogDispatcher {
  private readonly logger = new Logger('Dispatcher');
  private checkpoint = 0;
  private head = 0;
  /** One loop at a time; a wake-up during one asks for one more. */
  private readonly runner = new CoalescingRunner(() => this.loop(), () => this.stopped);
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
  /** The hand-over state as this dispatcher last read or advanced it (BullMQ); null: read it from the store. */
  private handOver: HandOver | null = null;
  private recheck = true;
  /** Deliveries straight from a commit still under way (stop() waits for them). */
  private readonly early = new Set<Promise<void>>();
  /**
   * Jobs delivered straight from a commit, by id, with their event's position, while the loop has
   * not yet moved the hand-over position past them: the loop does not add them again. Forgotten
   * whenever the store may have lost them: an advance refused, a failure, a new hand-over token
   * (an emptied Redis loses its hand-over key, and a new one gets a new token).
   */
  private readonly deliveredEarly = new Map<string, number>();
  private catchUpTimer: NodeJS.Timeout | null = null;

  constructor(
    private readonly store: EventStore,
    private readonly reader: LedgerReader,
    private readonly ds: DataSource,
    private readonly sink: JobSink,
    private readonly pollIntervalMs: number,
    private readonly deadLetters: DeadLetterStore,
  ) {}

  async start(): Promise<void> {
    this.checkpoint = await readCheckpoint(this.ds, DISPATCHER_CHECKPOINT);
    this.unsubscribe = this.store.onCommit((_h, appended) => {
      if (!this.sink.progress) {
        this.wake(); // in-process: every commit moves the checkpoint
        return;
      }
      const jobs = appended.flatMap(planJobs);
      if (jobs.length === 0) return;
      // While hand-over is failing (Redis away), the loop alone retries, on its backoff.
      if (this.failures > 0) this.wake();
      else this.deliverEarly(jobs);
    });
    // Polling finds rows other processes wrote; commits in this process wake it at once.
    this.timer = setInterval(() => this.wake(true), this.pollIntervalMs);
    this.timer.unref();
    this.wake(true);
  }

  /**
   * `recheck`: also look again at the queue store's hand-over state instead of the one this
   * dispatcher last saw (BullMQ; polls do, so another dispatcher's progress or an emptied Redis is
   * noticed within a poll interval, while a wake-up after a commit goes straight to the new events).
   */
  wake(recheck = false): void {
    if (this.stopped) return;
    if (recheck) this.recheck = true;
    this.runner.wake();
  }

  /**
   * BullMQ: the jobs of events this process just committed go to the queues at once, without
   * waiting for a read of the log (the events are committed, the job ids deterministic). The
   * hand-over position still moves only in the loop, which reads the log and hands over
   * everything after it except the jobs it knows went early (deliveredEarly; adding one twice
   * would be harmless too, BullMQ ignores an id it has). The loop runs CATCH_UP_MS later, so a
   * busy API adds each job right away and moves the position in batches. A failure here changes
   * nothing: the loop hands those jobs over and reports the failure.
   */
  private deliverEarly(jobs: PlannedJob[]): void {
    const delivery = this.sink.deliver(jobs).then(
      () => {
        const handed = this.handOver?.position ?? Infinity;
        for (const j of jobs) if (j.data.position > handed && this.deliveredEarly.size < EARLY_MEMORY) this.deliveredEarly.set(j.jobId, j.data.position);
        this.catchUpSoon();
      },
      () => this.wake(),
    );
    this.early.add(delivery);
    void delivery.finally(() => this.early.delete(delivery));
  }

  private catchUpSoon(): void {
    if (this.catchUpTimer || this.stopped) return;
    this.catchUpTimer = setTimeout(() => {
      this.catchUpTimer = null;
      this.wake();
    }, CATCH_UP_MS);
    this.catchUpTimer.unref();
  }

  /** Resolves when everything up to the current head has been handed over (tests, shutdown). */
  drained(timeoutMs = 10_000): Promise<boolean> {
    return this.runner.settle(async () => {
      const head = (await this.reader.head()).position;
      return this.checkpoint >= head;
    }, timeoutMs);
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
    if (this.catchUpTimer) clearTimeout(this.catchUpTimer);
    this.unsubscribe?.();
    // A pass in flight can wait on Redis commands queued while a connection is in its reconnect
    // back-off; nothing of it is lost by letting go (the checkpoint moves only after a hand-over),
    // so shutdown waits a bounded time and says so.
    let timer: NodeJS.Timeout | undefined;
    const finished = await Promise.race([
      Promise.all([this.runner.running, ...this.early]).then(() => true),
      new Promise<false>((r) => (timer = setTimeout(() => r(false), STOP_GRACE_MS))),
    ]);
    clearTimeout(timer);
    if (!finished) this.logger.warn(`a dispatcher pass was still running ${STOP_GRACE_MS} ms after stop; let go (the log keeps its work)`);
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
      this.forgetHandOver(); // Redis may come back without what it had: read its state again
      setTimeout(() => this.wake(true), backoff).unref();
    }
  }

  private forgetHandOver(): void {
    this.handOver = null;
    this.deliveredEarly.clear();
  }

  private delivered(): void {
    if (this.failures > 0) this.logger.log(`delivering again after ${this.failures} failed attempt(s)`);
    this.failures = 0;
    this.lastError = null;
  }

  /**
   * BullMQ: hand over from where Redis says hand-over stands (or, if it lost that, from the
   * finished watermark). The state read is kept between wake-ups: an advance refused (Redis
   * emptied meanwhile) or a poll's recheck reads it again; in between, a wake-up after a commit
   * costs one read of the log, one add per queue and one advance.
   */
  private async handOverToQueues(progress: HandOverProgress): Promise<void> {
    if (!this.ledgerId) {
      const first = await this.reader.readAfter(0, 1);
      if (first.length === 0) return; // an empty log has nothing to hand over
      this.ledgerId = first[0].hash.slice(0, 16);
      progress.useLedger(this.ledgerId);
    }
    if (this.recheck) {
      this.recheck = false;
      this.handOver = null; // read again below; early deliveries stand while the store keeps its token
    }
    for (;;) {
      if (this.stopped) return;
      let state = this.handOver;
      if (!state) {
        const finished = await readCheckpoint(this.ds, DISPATCHER_CHECKPOINT);
        const read = await progress.read(finished);
        if (read.position > (await this.reader.head()).position) {
          // Redis remembers handing over positions this log does not have (a database restored
          // from a backup): that state is not ours; start again from the finished watermark.
          this.logger.warn(`Redis says positions up to ${read.position} were handed over, beyond this log's head: starting again from ${finished}`);
          // Jobs after the watermark that Redis remembers as done may have appended events this copy
          // lacks: forget them, so handing them over again runs them again (the handlers skip work done).
          const dropped = await progress.dropFinishedAfter(finished);
          if (dropped > 0) this.logger.warn(`forgot ${dropped} finished job(s) after position ${finished}: they run again`);
          await progress.forget(read);
          continue;
        }
        if (read.token !== this.handOverToken) {
          this.deliveredEarly.clear(); // another store's contents: what went to the old one may be gone
          if (read.started && this.handOverToken !== null) {
            this.logger.warn(`Redis lost the queued jobs (restarted without its data?): handing over again everything after position ${finished}`);
          }
          this.handOverToken = read.token;
        }
        state = { ...read, position: Math.max(read.position, finished) };
        this.handOver = state;
        this.checkpoint = state.position;
      }
      const events = await this.reader.readAfter(state.position, PAGE);
      if (events.length === 0) break;
      const jobs = events.flatMap(planJobs).filter((j) => !this.deliveredEarly.has(j.jobId));
      if (jobs.length > 0) await this.sink.deliver(jobs);
      const last = events[events.length - 1].position;
      if (await progress.advance(state, last)) {
        state.position = last;
        this.checkpoint = last;
        for (const [id, position] of this.deliveredEarly) if (position <= last) this.deliveredEarly.delete(id);
      } else {
        // Refused when Redis was emptied meanwhile: what was just delivered may be gone, so read again.
        this.forgetHandOver();
        continue;
      }
      this.delivered();
      if (events.length < PAGE) break; // that was the end of the log when it was read
    }
    this.delivered();
    if (Date.now() - this.finishedCheckedAt >= FINISHED_EVERY_MS) {
      this.finishedCheckedAt = Date.now();
      await this.moveFinished(progress);
    }
  }

  /**
   * BullMQ: moves the database's finished watermark up to where every job handed over has
   * completed or failed for good. A job that failed for good is first recorded as a dead letter
   * (so it is neither lost nor holding the watermark for ever); then dead letters being retried
   * are looked up: completed ones are resolved, ones that failed again are dead again.
   */
  private async moveFinished(progress: HandOverProgress): Promise<void> {
    const saved = await readCheckpoint(this.ds, DISPATCHER_CHECKPOINT);
    const look = await progress.finishedUpTo(saved);
    if (look) {
      let recorded = true;
      if (look.failed.length > 0) recorded = await this.recordFailed(progress, look.failed);
      if (recorded && look.position > saved) await saveCheckpoint(this.store, DISPATCHER_CHECKPOINT, look.position);
    }
    await this.followRetries(progress);
  }

  /** Records failed jobs as dead letters; false when one vanished meanwhile (the watermark waits for the next look). */
  private async recordFailed(progress: HandOverProgress, ids: string[]): Promise<boolean> {
    const failed = await progress.failedJobs(ids);
    if (!failed) return false;
    const ours = [];
    for (const f of failed) {
      // A job of another log (a database restored behind the same Redis) is not ours to record.
      if (!Number.isInteger(f.data?.position) || f.data.position < 1) continue;
      const [event] = await this.reader.readAfter(f.data.position - 1, 1);
      if (event && event.position === f.data.position && planJobs(event).some((j) => j.jobId === f.id)) ours.push(f);
    }
    const changed = await this.deadLetters.record(ours);
    if (changed > 0) {
      this.logger.warn(`${changed} job(s) failed for good and are dead letters (GET /api/admin/dead-letters): ${ours.map((f) => f.id).join(', ')}`);
    }
    return true;
  }

  private async followRetries(progress: HandOverProgress): Promise<void> {
    const retrying = await this.deadLetters.list({ states: ['retrying'], limit: 500 });
    if (retrying.length === 0) return;
    const states = await progress.jobStates(retrying.map((l) => l.id));
    await this.deadLetters.markResolved(retrying.filter((l) => states.get(l.id) === 'completed').map((l) => l.id));
    const again = retrying.filter((l) => states.get(l.id) === 'failed');
    const failed = again.length ? await progress.failedJobs(again.map((l) => l.id)) : [];
    // Only a failure after the retry counts (the retry may not have reached the queue yet).
    const fresh = (failed ?? []).filter((f) => {
      const at = again.find((l) => l.id === f.id)?.retriedAt;
      return at !== null && at !== undefined && f.failedAt.getTime() >= Date.parse(at);
    });
    if (fresh.length) {
      await this.deadLetters.record(fresh);
      this.logger.warn(`retried dead letter(s) failed again: ${fresh.map((f) => f.id).join(', ')}`);
    }
    // Lost from Redis before it ran (emptied meanwhile): hand it over again.
    for (const l of retrying.filter((x) => states.get(x.id) === 'missing')) await this.sink.retry(l);
  }
}
