import { createHash, timingSafeEqual } from 'node:crypto';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { VERIFICATION_STATUSES } from '../domain/types';
import { EVENT_TYPES } from '../domain/events';
import { QUEUE_NAMES } from '../jobs/job-plan';

/** Where the gauges computed at scrape time read from (bound once the app's providers exist). */
export interface MetricSources {
  /** Positions the job dispatcher is behind the head of the log. */
  dispatchLag?: () => Promise<{ lag: number; head: number }>;
  /** Rows of the claims read model, grouped by status. */
  claimsByStatus?: () => Promise<Array<{ status: string; count: number }>>;
  /** BullMQ job counts per queue and state (only with REDIS_URL): verification, window and webhook queues. */
  queueCounts?: () => Promise<Array<{ queue: string; counts: Record<string, number> }>>;
  /** Dead letters (verification jobs that failed all their attempts) per state: dead, retrying, resolved. */
  deadLetters?: () => Promise<Record<string, number>>;
}

/**
 * How old a source's answer may be when a scrape reads it. A scrape never makes the database or
 * Redis count anything by itself: concurrent and repeated scrapes share one read, and the counts
 * that cost a scan (claims by status: a GROUP BY over the claims table; BullMQ's job counts: a few
 * Redis commands per queue) are re-read at most every 5 s however often /metrics is asked.
 * Everything else at most once a second (e.g. the dispatcher's lag, two index lookups).
 */
const SOURCE_MAX_AGE_MS: Partial<Record<keyof MetricSources, number>> = { claimsByStatus: 5000, queueCounts: 5000 };
const DEFAULT_SOURCE_MAX_AGE_MS = 1000;

/** `read`, shared: one call in flight at a time, and its answer reused for `maxAgeMs` (a failure is not kept). */
export function cachedSource<T>(read: () => Promise<T>, maxAgeMs: number, now: () => number = Date.now): () => Promise<T> {
  let last: { at: number; value: T } | null = null;
  let inFlight: Promise<T> | null = null;
  return () => {
    if (last && now() - last.at < maxAgeMs) return Promise.resolve(last.value);
    if (!inFlight) {
      const started = now();
      inFlight = read().then(
        (value) => {
          last = { at: started, value };
          inFlight = null;
          return value;
        },
        (err: unknown) => {
          inFlight = null;
          throw err;
        },
      );
    }
    return inFlight;
  };
}

/**
 * METRICS_TOKEN: does an Authorization header carry `Bearer <token>`? Compared in constant time
 * (SHA-256 digests, so lengths match). Used by the API's and the worker's /metrics alike.
 */
export function metricsTokenMatches(authorization: string | undefined, token: string): boolean {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
  if (!m) return false;
  const digest = (v: string) => createHash('sha256').update(v).digest();
  return timingSafeEqual(digest(m[1]), digest(token));
}

const REVIEW_STATES = ['proposed', 'published', 'rejected'];
const REVIEW_STATE_OF: Record<string, string | undefined> = { ReviewProposed: 'proposed', ReviewPublished: 'published', ReviewRejected: 'rejected' };

const HTTP_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const JOB_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
const QUEUE_STATES = ['waiting', 'active', 'delayed', 'failed', 'completed', 'paused', 'prioritized', 'waiting-children'];

/**
 * Prometheus metrics of one app instance. Each instance has its own Registry (several apps can
 * run in one process, e.g. in tests); nothing is put in prom-client's global default registry.
 */
export class OpsMetrics {
  readonly registry = new Registry();
  private sources: MetricSources = {};

  readonly httpDuration: Histogram<'method' | 'route' | 'code'>;
  readonly eventsAppended: Counter<'type'>;
  readonly jobsCompleted: Counter<'queue'>;
  readonly jobsFailed: Counter<'queue'>;
  readonly jobsDropped: Counter<'queue'>;
  readonly jobsDuration: Histogram<'queue' | 'outcome'>;
  readonly webhookDeliveries: Counter<'result'>;
  readonly webhookLag: Histogram;
  readonly reviews: Counter<'state'>;
  readonly verifyRuns: Counter<'mode'>;
  readonly verifyRehashed: Counter<'mode'>;

  constructor(options: { defaultMetrics?: boolean } = {}) {
    const registers = [this.registry];
    if (options.defaultMetrics !== false) collectDefaultMetrics({ register: this.registry });

    this.httpDuration = new Histogram({
      name: 'http_request_duration_seconds',
      help: 'HTTP requests by route pattern (e.g. /api/claims/:id), method and status code',
      labelNames: ['method', 'route', 'code'],
      buckets: HTTP_BUCKETS,
      registers,
    });
    this.eventsAppended = new Counter({
      name: 'ledger_events_appended_total',
      help: 'Events this process appended to the ledger, by event type',
      labelNames: ['type'],
      registers,
    });
    for (const type of EVENT_TYPES) this.eventsAppended.inc({ type }, 0);

    const sources = () => this.sources;
    new Gauge({
      name: 'ledger_dispatch_lag_positions',
      help: 'Ledger positions the job dispatcher is behind the head of the log (computed at scrape)',
      registers,
      async collect() {
        const read = sources().dispatchLag;
        if (!read) return;
        try {
          this.set((await read()).lag);
        } catch {
          /* the database did not answer: /health says so; keep the last value */
        }
      },
    });
    new Gauge({
      name: 'ledger_head_position',
      help: 'Position of the last event in the ledger (computed at scrape)',
      registers,
      async collect() {
        const read = sources().dispatchLag;
        if (!read) return;
        try {
          this.set((await read()).head);
        } catch {
          /* see above */
        }
      },
    });
    new Gauge({
      name: 'claims_by_status',
      help: 'Claims and pledges by verification status, counted from the claims table (re-counted at most every 5 s, however often scraped)',
      labelNames: ['status'],
      registers,
      async collect() {
        const read = sources().claimsByStatus;
        if (!read) return;
        try {
          const rows = await read();
          const byStatus = new Map<string, number>(VERIFICATION_STATUSES.map((s) => [s, 0]));
          for (const r of rows) byStatus.set(r.status, Number(r.count));
          for (const [status, count] of byStatus) this.set({ status }, count);
        } catch {
          /* see above */
        }
      },
    });
    new Gauge({
      name: 'jobs_queue_jobs',
      help: 'BullMQ jobs per queue and state (only when REDIS_URL is set; re-read at most every 5 s)',
      labelNames: ['queue', 'state'],
      registers,
      async collect() {
        const read = sources().queueCounts;
        if (!read) return;
        try {
          for (const { queue, counts } of await read()) {
            for (const state of QUEUE_STATES) this.set({ queue, state }, counts[state] ?? 0);
          }
        } catch {
          /* Redis is away: /health reports it */
        }
      },
    });

    new Gauge({
      name: 'jobs_dead_letters',
      help: 'Verification jobs that failed all their attempts, by state (dead: waiting for an admin retry; retrying; resolved), from the dead_letters table',
      labelNames: ['state'],
      registers,
      async collect() {
        const read = sources().deadLetters;
        if (!read) return;
        try {
          const counts = await read();
          for (const state of ['dead', 'retrying', 'resolved']) this.set({ state }, counts[state] ?? 0);
        } catch {
          /* the database did not answer: /health says so */
        }
      },
    });

    this.jobsCompleted = new Counter({
      name: 'jobs_completed_total',
      help: 'Verification jobs this process ran to completion, by queue',
      labelNames: ['queue'],
      registers,
    });
    this.jobsFailed = new Counter({
      name: 'jobs_failed_total',
      help: 'Failed verification job attempts in this process, by queue (BullMQ retries them with backoff)',
      labelNames: ['queue'],
      registers,
    });
    this.jobsDropped = new Counter({
      name: 'jobs_dropped_total',
      help: 'Verification jobs this process dropped because their data contradicts the ledger (forged or corrupted), by queue',
      labelNames: ['queue'],
      registers,
    });
    this.jobsDuration = new Histogram({
      name: 'jobs_duration_seconds',
      help: 'Run time of verification job attempts, by queue and outcome (completed or failed)',
      labelNames: ['queue', 'outcome'],
      buckets: JOB_BUCKETS,
      registers,
    });
    for (const queue of QUEUE_NAMES) {
      this.jobsCompleted.inc({ queue }, 0);
      this.jobsFailed.inc({ queue }, 0);
      this.jobsDropped.inc({ queue }, 0);
    }

    this.webhookDeliveries = new Counter({
      name: 'webhook_deliveries_total',
      help: 'Webhook delivery attempts made by this process, by result (delivered, retry, failed after the last retry, gone: 410 disabled the endpoint)',
      labelNames: ['result'],
      registers,
    });
    for (const result of ['delivered', 'retry', 'failed', 'gone']) this.webhookDeliveries.inc({ result }, 0);
    this.webhookLag = new Histogram({
      name: 'webhook_delivery_lag_seconds',
      help: "Seconds from an event's commit to the receiver's 2xx answer (delivered attempts)",
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5, 30, 300, 3600],
      registers,
    });
    this.reviews = new Counter({
      name: 'reviews_total',
      help: 'Editorial review events this process appended, by state (proposed, published, rejected)',
      labelNames: ['state'],
      registers,
    });
    for (const state of REVIEW_STATES) this.reviews.inc({ state }, 0);
    this.verifyRuns = new Counter({
      name: 'ledger_verify_runs_total',
      help: 'Walks of the hash chain by the verifier (GET /api/ledger/verify and the background check), by mode: incremental (from the last verified position) or full; answers from the cache are not walks',
      labelNames: ['mode'],
      registers,
    });
    this.verifyRehashed = new Counter({
      name: 'ledger_verify_rehashed_events_total',
      help: 'Events whose hash the verifier recomputed, by mode',
      labelNames: ['mode'],
      registers,
    });
    for (const mode of ['incremental', 'full']) {
      this.verifyRuns.inc({ mode }, 0);
      this.verifyRehashed.inc({ mode }, 0);
    }
  }

  observeWebhook(result: string, lagSeconds?: number): void {
    this.webhookDeliveries.inc({ result });
    if (lagSeconds !== undefined) this.webhookLag.observe(lagSeconds);
  }

  /** Binds the scrape-time sources, each behind cachedSource (SOURCE_MAX_AGE_MS). */
  bind(sources: MetricSources): void {
    const shared: Record<string, unknown> = {};
    for (const [name, read] of Object.entries(sources) as Array<[keyof MetricSources, (() => Promise<unknown>) | undefined]>) {
      if (read) shared[name] = cachedSource(read, SOURCE_MAX_AGE_MS[name] ?? DEFAULT_SOURCE_MAX_AGE_MS);
    }
    this.sources = { ...this.sources, ...(shared as MetricSources) };
  }

  /** Counts one walk of GET /api/ledger/verify's verifier (incremental or full) and the events it re-hashed. */
  observeVerify(mode: 'incremental' | 'full', rehashed: number): void {
    this.verifyRuns.inc({ mode });
    this.verifyRehashed.inc({ mode }, rehashed);
  }

  countDroppedJob(queue: string): void {
    this.jobsDropped.inc({ queue });
  }

  observeJob(queue: string, seconds: number, ok: boolean): void {
    (ok ? this.jobsCompleted : this.jobsFailed).inc({ queue });
    this.jobsDuration.observe({ queue, outcome: ok ? 'completed' : 'failed' }, seconds);
  }

  countAppended(events: ReadonlyArray<{ type: string }>): void {
    for (const e of events) {
      this.eventsAppended.inc({ type: e.type });
      const state = REVIEW_STATE_OF[e.type];
      if (state) this.reviews.inc({ state });
    }
  }

  contentType(): string {
    return this.registry.contentType;
  }

  render(): Promise<string> {
    return this.registry.metrics();
  }
}
