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
  readonly jobsDuration: Histogram<'queue' | 'outcome'>;
  readonly webhookDeliveries: Counter<'result'>;
  readonly webhookLag: Histogram;
  readonly reviews: Counter<'state'>;

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
      help: 'Claims and pledges by verification status, counted from the claims table at scrape',
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
      help: 'BullMQ jobs per queue and state (only when REDIS_URL is set; computed at scrape)',
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
  }

  observeWebhook(result: string, lagSeconds?: number): void {
    this.webhookDeliveries.inc({ result });
    if (lagSeconds !== undefined) this.webhookLag.observe(lagSeconds);
  }

  bind(sources: MetricSources): void {
    this.sources = { ...this.sources, ...sources };
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
