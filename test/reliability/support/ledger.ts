import { Queue } from 'bullmq';
import IORedis from 'ioredis';
import { QUEUE_NAMES, planJobs, type QueueName } from '../../../src/jobs/job-plan';
import type { StoredEvent } from '../../../src/domain/events';
import { computeVerdict, type Verdict } from '../../../src/domain/verdict';
import { replayVerdicts, sleep, type EvidenceViewBody } from '../../support/jobs';
import { expectStatus, type Client } from './client';

/** Reading the service the way an outside auditor would: the feed, the views, /health. */

export async function feed(c: Client): Promise<StoredEvent[]> {
  const out: StoredEvent[] = [];
  let after = 0;
  for (;;) {
    const res = expectStatus(await c.get(`/api/events?after=${after}&limit=500`), 200, 'GET /api/events');
    const items = res.body.items as StoredEvent[];
    out.push(...items);
    if (!res.body.nextCursor) return out;
    after = Number(res.body.nextCursor);
  }
}

export interface Verify {
  ok: boolean;
  checked: number;
  head: { position: number; hash: string | null };
  firstBadPosition?: number;
  problem?: string;
}

/** GET /api/ledger/verify: incremental (from the last verified position); `full` (admin key): the whole chain from position 1. */
export async function verify(c: Client, options: { full?: boolean } = {}): Promise<Verify> {
  const path = options.full ? '/api/ledger/verify?full=true' : '/api/ledger/verify';
  return expectStatus(await c.get(path), 200, `GET ${path}`).body as Verify;
}

export interface Health {
  status: number;
  contentType: string;
  body: any;
  /** The terminus details (present in the 200 body and the 503 problem alike). */
  details: Record<string, any>;
}

/** GET /health with the client's key: what each check reports (keyless callers get only the check names and up/down). */
export async function health(c: Client): Promise<Health> {
  const res = await c.get('/health');
  return { status: res.status, contentType: String(res.headers['content-type'] ?? ''), body: res.body, details: res.body?.details ?? {} };
}

/** Polls until `accept` holds; fails with what it saw last. */
export async function until<T>(what: string, probe: () => Promise<T>, accept: (v: T) => boolean, timeoutMs = 20_000, intervalMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  let lastErr: unknown;
  for (;;) {
    try {
      last = await probe();
      lastErr = undefined;
      if (accept(last)) return last;
    } catch (err) {
      lastErr = err;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last saw ${lastErr ? (lastErr as Error).message : JSON.stringify(last)?.slice(0, 1500)}`);
    }
    await sleep(intervalMs);
  }
}

/**
 * Waits until the service has nothing left to do: the dispatcher has handed over everything up to
 * the head (/health), the given queues hold no waiting/active/delayed job, and the head stays put
 * across two looks.
 */
export async function settle(c: Client, queues: Map<QueueName, Queue> | null = null, timeoutMs = 30_000): Promise<void> {
  let lastHead = -1;
  let stableSince = 0;
  await until(
    'the service to settle',
    async () => {
      const h = await health(c);
      const d = h.details.dispatcher;
      if (!d || d.lag !== 0) return { idle: false, why: `dispatcher ${JSON.stringify(d)}` };
      if (queues) {
        for (const q of queues.values()) {
          const counts = await q.getJobCounts('waiting', 'active', 'delayed', 'prioritized', 'waiting-children');
          const busy = Object.values(counts).reduce((a, b) => a + b, 0);
          if (busy > 0) return { idle: false, why: `${q.name}: ${JSON.stringify(counts)}` };
        }
      }
      const head = d.head as number;
      if (head !== lastHead) {
        lastHead = head;
        stableSince = Date.now();
        return { idle: false, why: 'head moved' };
      }
      return { idle: Date.now() - stableSince >= 300, why: 'waiting for the head to stay put' };
    },
    (v) => v.idle,
    timeoutMs,
    60,
  );
}

/** Every claim in GET /api/claims, following nextCursor. */
export async function allClaims(c: Client, query = ''): Promise<Array<Record<string, unknown>>> {
  const items: Array<Record<string, unknown>> = [];
  let cursor: string | null = null;
  for (let pages = 0; pages < 10_000; pages++) {
    const q: string = `/api/claims?limit=500${query ? `&${query}` : ''}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
    const res = expectStatus(await c.get(q), 200, 'GET /api/claims');
    items.push(...res.body.items);
    cursor = res.body.nextCursor;
    if (!cursor) return items;
  }
  throw new Error('pagination does not end');
}

/** Runs `tasks` with at most `n` in flight. */
export async function pool<T>(n: number, tasks: Array<() => Promise<T>>): Promise<T[]> {
  const results: T[] = new Array(tasks.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(n, tasks.length) }, async () => {
      while (next < tasks.length) {
        const i = next++;
        results[i] = await tasks[i]();
      }
    }),
  );
  return results;
}

/** EvidenceAttached events per (claim, evidence) pair in the feed. */
export function attachmentCounts(events: StoredEvent[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const e of events) {
    if (e.type !== 'EvidenceAttached') continue;
    const k = `${e.streamId}/${(e.data as { evidenceId: string }).evidenceId}`;
    m.set(k, (m.get(k) ?? 0) + 1);
  }
  return m;
}

/**
 * Checks one claim's status against verdict-v1: replays its stream (each recorded status change
 * must be the rule applied to what was attached then) and recomputes the rule over what is attached
 * at the end. Returns the final verdict.
 */
export async function checkVerdict(c: Client, claimId: string): Promise<{ verdict: Verdict; view: any }> {
  const events = expectStatus(await c.get(`/api/claims/${claimId}/events`), 200, 'GET /api/claims/:id/events').body.items as StoredEvent[];
  const ids = new Set(events.filter((e) => e.type === 'EvidenceAttached').map((e) => (e.data as { evidenceId: string }).evidenceId));
  const evidence = new Map<string, EvidenceViewBody>();
  for (const id of ids) evidence.set(id, expectStatus(await c.get(`/api/evidence/${id}`), 200, 'GET /api/evidence/:id').body);
  const { verdict } = replayVerdicts(events, evidence);
  const view = expectStatus(await c.get(`/api/claims/${claimId}`), 200, 'GET /api/claims/:id').body;
  if (view.status !== verdict.status) throw new Error(`claim ${claimId}: the view says ${view.status}, verdict-v1 over its events says ${verdict.status}`);
  // The rule over what is attached now, computed afresh (not from the recorded changes).
  const attached = view.evidence.filter((e: { retracted: boolean; attached?: boolean }) => e.attached !== false);
  const fresh = computeVerdict(
    attached.map((e: { evidenceId: string; stance: string }) => {
      const ev = evidence.get(e.evidenceId)!;
      return { evidenceId: ev.id, stance: e.stance, reliability: ev.reliability, credibility: ev.credibility, source: ev.source } as never;
    }),
  );
  if (fresh.status !== verdict.status) throw new Error(`claim ${claimId}: verdict-v1 over the attached evidence is ${fresh.status}, the replay ends at ${verdict.status}`);
  return { verdict, view };
}

/** The jobs the log calls for, by queue and id (what a redelivery count is measured against). */
export function plannedJobs(events: StoredEvent[]): Array<{ queue: QueueName; jobId: string }> {
  return events.flatMap(planJobs).map((j) => ({ queue: j.queue, jobId: j.jobId }));
}

/** Jobs that ran more than once: stalled and picked up again, or retried after a failed attempt. */
export async function redeliveredJobs(queues: Map<QueueName, Queue>, events: StoredEvent[]): Promise<number> {
  let n = 0;
  for (const { queue, jobId } of plannedJobs(events)) {
    const job = await queues.get(queue)!.getJob(jobId);
    if (!job) continue;
    if ((job.stalledCounter ?? 0) > 0 || (job.attemptsMade ?? 0) > 1 || (job.attemptsStarted ?? 0) > 1) n++;
  }
  return n;
}

export { QUEUE_NAMES };

/** BullMQ queues on a Redis (for inspection), quiet while that Redis is away. */
export function openQueues(prefix: string, url: string): { queues: Map<QueueName, Queue>; close(): Promise<void> } {
  const connection = new IORedis(url, { maxRetriesPerRequest: null });
  connection.on('error', () => undefined);
  const queues = new Map<QueueName, Queue>(
    QUEUE_NAMES.map((n) => {
      const q = new Queue(n, { connection, prefix });
      q.on('error', () => undefined);
      return [n, q];
    }),
  );
  return {
    queues,
    async close() {
      for (const q of queues.values()) await q.close().catch(() => undefined);
      await connection.quit().catch(() => connection.disconnect());
    },
  };
}
