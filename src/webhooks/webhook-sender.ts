import { Logger } from '@nestjs/common';
import { reportWorkerErrors, closeBullMq } from '../jobs/bullmq';
import { Queue, Worker } from 'bullmq';
import IORedis from 'ioredis';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import { parseWebhookUrl, resolveAllowed, WebhookUrlError } from './ssrf-guard';
import { signedHeaders } from './webhook-signing';
import type { DueDelivery, WebhookStore } from './webhook-store';

/** The BullMQ queue of webhook attempts (with Redis); its own, outside the verification queues. */
export const WEBHOOK_QUEUE = 'webhook-deliver';
/** A response body is read (and dropped) up to this size; the status is what counts. */
const MAX_RESPONSE_BYTES = 64 * 1024;
/** BullMQ mode: a pending delivery overdue by this much (its job lost, or never added) is queued again by the sweep. */
const OVERDUE_MS = 1_000;

/**
 * The BullMQ job of one attempt: named by the delivery and the time the attempt is due, so the
 * dispatcher, a retry, the sweep and another process all name the same attempt the same way
 * (BullMQ keeps one), while a redelivery (due now again) is a new job.
 */
const attemptJobId = (d: DueDelivery): string => `${d.id}_${Date.parse(d.nextAttemptAt)}`;

export type AttemptResult = 'delivered' | 'retry' | 'failed' | 'gone' | 'skipped';

export interface WebhookSenderOptions {
  /** Delays after each failed attempt (WEBHOOK_RETRY_SCHEDULE_MS); after the last, `failed`. */
  retryScheduleMs: number[];
  timeoutMs: number;
  allowPrivate: boolean;
  now: () => Date;
  pollIntervalMs: number;
  redisUrl: string | null;
  queuePrefix: string;
  runWorker: boolean;
  /** BullMQ workers for webhook attempts in this process. */
  concurrency?: number;
}

export interface AttemptObservation {
  result: Exclude<AttemptResult, 'skipped'>;
  /** delivered: seconds from the event's commit to the receiver's 2xx. */
  lagSeconds?: number;
}

/** A DNS lookup for the outgoing socket that refuses private addresses (no rebinding between check and connect). */
function guardedLookup(allowPrivate: boolean): LookupFunction {
  return ((hostname: string, options: { all?: boolean }, callback: (...args: unknown[]) => void) => {
    resolveAllowed(hostname, allowPrivate).then(
      (addresses) => (options?.all ? callback(null, addresses) : callback(null, addresses[0].address, addresses[0].family)),
      (err: Error) => callback(err),
    );
  }) as unknown as LookupFunction;
}

/** One POST; resolves with the status, rejects on a network error or after `timeoutMs`. */
export function postWebhook(rawUrl: string, body: string, headers: Record<string, string>, timeoutMs: number, allowPrivate: boolean): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    let url: URL;
    try {
      url = parseWebhookUrl(rawUrl);
    } catch (err) {
      reject(err);
      return;
    }
    const literal = url.hostname.replace(/^\[|\]$/g, '');
    const go = () => {
      const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
      const req = send(
        url,
        {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), 'user-agent': 'claim-ledger-webhooks', ...headers },
          lookup: guardedLookup(allowPrivate),
          agent: false,
        },
        (res: IncomingMessage) => {
          let seen = 0;
          res.on('data', (chunk: Buffer) => {
            seen += chunk.length;
            if (seen > MAX_RESPONSE_BYTES) res.destroy();
          });
          res.on('close', () => {
            clearTimeout(timer);
            resolve(res.statusCode ?? 0);
          });
        },
      );
      const timer = setTimeout(() => req.destroy(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
      req.on('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
      req.end(body);
    };
    // An IP literal never goes through lookup: check it here.
    if (isIP(literal)) resolveAllowed(literal, allowPrivate).then(go, reject);
    else go();
  });
}

/**
 * Attempts deliveries from the outbox. Without Redis, a loop in this process picks due
 * deliveries (woken by the dispatcher, and at the next due time); with Redis, each attempt is a
 * BullMQ job (deterministic id per delivery and attempt number) and a retry a delayed job, while
 * a slow sweep re-queues any pending delivery whose job Redis lost. Either way an attempt first
 * leases the row, so one delivery is in flight at most once, and the state lives in the database:
 * a restart, or a receiver down across one, loses nothing.
 */
export class WebhookSender {
  private readonly logger = new Logger('Webhooks');
  private readonly listeners = new Set<(o: AttemptObservation) => void>();
  private stopped = false;
  private running: Promise<void> | null = null;
  private again = false;
  private timer: NodeJS.Timeout | null = null;
  private poll: NodeJS.Timeout | null = null;
  private connection: IORedis | null = null;
  private workerConnection: IORedis | null = null;
  queue: Queue | null = null;
  private worker: Worker | null = null;
  private readonly inFlight = new Set<Promise<unknown>>();

  constructor(
    private readonly store: WebhookStore,
    private readonly options: WebhookSenderOptions,
  ) {
    // The queue exists from construction, so the queue board (set up before start) shows it.
    if (options.redisUrl) {
      this.connection = new IORedis(options.redisUrl, { enableOfflineQueue: false, maxRetriesPerRequest: 1 });
      this.connection.on('error', () => undefined);
      this.queue = new Queue(WEBHOOK_QUEUE, {
        connection: this.connection,
        prefix: options.queuePrefix,
        // A failed job (the database did not answer) is dropped: the sweep queues the attempt again.
        defaultJobOptions: { attempts: 3, backoff: { type: 'exponential', delay: 200 }, removeOnComplete: { age: 24 * 3600, count: 50_000 }, removeOnFail: true },
      });
      this.queue.on('error', () => undefined);
    }
  }

  get mode(): 'bullmq' | 'outbox' {
    return this.options.redisUrl ? 'bullmq' : 'outbox';
  }

  onAttempt(listener: (o: AttemptObservation) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async start(): Promise<void> {
    if (this.queue && this.options.redisUrl) {
      if (this.options.runWorker) {
        this.workerConnection = new IORedis(this.options.redisUrl, { maxRetriesPerRequest: null });
        this.workerConnection.on('error', () => undefined);
        this.worker = new Worker<{ deliveryId: string; dueAt: string }>(WEBHOOK_QUEUE, (job) => this.attemptAndSchedule({ id: job.data.deliveryId, nextAttemptAt: job.data.dueAt }), {
          connection: this.workerConnection,
          prefix: this.options.queuePrefix,
          concurrency: this.options.concurrency ?? 2,
        });
        reportWorkerErrors(this.worker, `worker ${WEBHOOK_QUEUE}`, this.logger);
      }
      // The sweep: whatever is due now goes to the queue; later, only what is overdue (a lost job).
      this.poll = setInterval(() => void this.sweep(OVERDUE_MS).catch(() => undefined), Math.max(OVERDUE_MS, this.options.pollIntervalMs * 4));
      this.poll.unref();
      await this.sweep(0).catch((err: Error) => this.logger.warn(`webhook sweep failed: ${err.message}`));
      return;
    }
    this.poll = setInterval(() => this.wake(), Math.max(this.options.pollIntervalMs, 50));
    this.poll.unref();
    this.wake();
  }

  /** New deliveries were added (by the dispatcher) or made pending again (redeliver). */
  async notify(due: DueDelivery[]): Promise<void> {
    if (due.length === 0) return;
    if (this.queue) {
      await this.enqueue(due);
      return;
    }
    this.wake();
  }

  private async enqueue(due: DueDelivery[]): Promise<void> {
    const now = this.options.now().getTime();
    await this.queue!.addBulk(
      due.map((d) => ({
        name: WEBHOOK_QUEUE,
        data: { deliveryId: d.id, dueAt: d.nextAttemptAt },
        opts: { jobId: attemptJobId(d), delay: Math.max(0, Date.parse(d.nextAttemptAt) - now) },
      })),
    );
  }

  wake(): void {
    if (this.stopped || this.queue) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.drainOutbox()
      .catch((err: Error) => this.logger.warn(`webhook outbox: ${err.message}; retrying`))
      .finally(() => {
        this.running = null;
        if (this.again && !this.stopped) {
          this.again = false;
          this.wake();
        } else this.armTimer();
      });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.poll) clearInterval(this.poll);
    while (this.running) await this.running;
    await Promise.allSettled([...this.inFlight]);
    // Quick with Redis away too (see closeBullMq).
    await closeBullMq({
      workers: this.worker ? [this.worker] : [],
      queues: this.queue ? [this.queue] : [],
      connections: [this.workerConnection, this.connection].filter((c): c is NonNullable<typeof c> => !!c),
    });
  }

  /** Outbox mode: attempts every due delivery, a batch at a time. */
  private async drainOutbox(): Promise<void> {
    for (;;) {
      if (this.stopped) return;
      const due = await this.store.due(this.options.now().toISOString(), 16);
      if (due.length === 0) return;
      await Promise.all(due.map((d) => this.track(this.attempt(d.id))));
    }
  }

  private track<T>(p: Promise<T>): Promise<T> {
    this.inFlight.add(p);
    void p.finally(() => this.inFlight.delete(p)).catch(() => undefined);
    return p;
  }

  private async armTimer(): Promise<void> {
    if (this.stopped || this.queue) return;
    if (this.timer) clearTimeout(this.timer);
    const next = await this.store.nextDue().catch(() => null);
    if (!next || this.stopped) return;
    const delay = Math.min(2_147_483_647, Math.max(0, Date.parse(next) - this.options.now().getTime()));
    this.timer = setTimeout(() => this.wake(), delay);
    this.timer.unref();
  }

  /** BullMQ mode: pending deliveries due `overdueMs` ago or earlier go (again) to the queue. */
  private async sweep(overdueMs: number): Promise<void> {
    if (!this.queue || this.stopped) return;
    const now = this.options.now().getTime();
    const due = await this.store.due(new Date(now - overdueMs).toISOString(), 500);
    if (due.length > 0) await this.enqueue(due);
  }

  /** BullMQ mode: one attempt, and the next one as a delayed job when it is to be retried. */
  private async attemptAndSchedule(due: DueDelivery): Promise<AttemptResult> {
    const id = due.id;
    const result = await this.track(this.attempt(id, due));
    if (result === 'retry' && this.queue) {
      const d = await this.store.delivery(id);
      if (d && d.state === 'pending' && d.nextAttemptAt) await this.enqueue([{ id, nextAttemptAt: d.nextAttemptAt }]);
    }
    return result;
  }

  /**
   * One attempt at one delivery: take it (outbox: a lease row, so one process sends it; BullMQ:
   * the job names the attempt, checked against the row), POST it signed, record what happened.
   */
  async attempt(id: string, due?: DueDelivery): Promise<AttemptResult> {
    const start = this.options.now();
    const leased = due
      ? await this.store.attemptDue(due)
      : await this.store.lease(id, start.toISOString(), new Date(start.getTime() + this.options.timeoutMs + 5_000).toISOString());
    if (!leased) return 'skipped';
    const ifDueAt = due?.nextAttemptAt;
    const { delivery, endpoint } = leased;
    const attempts = delivery.attempts + 1;
    let status: number | null = null;
    let error: string | null = null;
    try {
      status = await postWebhook(endpoint.url, delivery.body, signedHeaders(endpoint.secret, delivery.id, delivery.body, this.options.now()), this.options.timeoutMs, this.options.allowPrivate);
    } catch (err) {
      error = err instanceof WebhookUrlError ? err.message : `${(err as NodeJS.ErrnoException).code ?? 'error'}: ${(err as Error).message}`;
    }
    const now = this.options.now();
    if (status !== null && status >= 200 && status < 300) {
      await this.store.recordAttempt(id, { state: 'delivered', attempts, lastStatus: status, lastError: null, nextAttemptAt: null, deliveredAt: now.toISOString() }, undefined, ifDueAt);
      this.emit({ result: 'delivered', lagSeconds: Math.max(0, (now.getTime() - Date.parse(delivery.eventRecordedAt)) / 1000) });
      return 'delivered';
    }
    if (status === 410) {
      const reason = `the endpoint answered 410 Gone at ${now.toISOString()}`;
      await this.store.recordAttempt(
        id,
        { state: 'failed', attempts, lastStatus: status, lastError: '410 Gone: endpoint disabled', nextAttemptAt: null, deliveredAt: null },
        { webhookId: endpoint.id, reason, at: now.toISOString() },
        ifDueAt,
      );
      this.logger.warn(`webhook ${endpoint.id} answered 410 Gone: disabled`);
      this.emit({ result: 'gone' });
      return 'gone';
    }
    const lastError = error ?? `the endpoint answered ${status}`;
    const delay = this.options.retryScheduleMs[attempts - 1];
    if (delay === undefined) {
      await this.store.recordAttempt(id, { state: 'failed', attempts, lastStatus: status, lastError, nextAttemptAt: null, deliveredAt: null }, undefined, ifDueAt);
      this.emit({ result: 'failed' });
      return 'failed';
    }
    await this.store.recordAttempt(id, {
      state: 'pending',
      attempts,
      lastStatus: status,
      lastError,
      nextAttemptAt: new Date(now.getTime() + delay).toISOString(),
      deliveredAt: null,
    }, undefined, ifDueAt);
    this.emit({ result: 'retry' });
    return 'retry';
  }

  private emit(o: AttemptObservation): void {
    for (const l of this.listeners) {
      try {
        l(o);
      } catch {
        /* observers never break delivery */
      }
    }
  }
}
