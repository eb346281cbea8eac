import { assertFreshBuild } from './build';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { Job, Queue } from 'bullmq';
import IORedis from 'ioredis';
import request from 'supertest';
import { JOB_SINK } from '../../src/jobs/jobs.module';
import type { JobSink } from '../../src/jobs/job-sink';
import { BullMqJobSink } from '../../src/jobs/bullmq';
import { QUEUE_NAMES, type QueueName } from '../../src/jobs/job-plan';
import { LogDispatcher } from '../../src/jobs/log-dispatcher';
import type { StoredEvent } from '../../src/domain/events';
import { computeVerdict, computeVerdictBy, type EvidenceFact, type Verdict } from '../../src/domain/verdict';
import { bearer, bootApp, type BootOptions, type TestApp } from './app';
import { TEST_REDIS_URL, deleteKeysWithPrefix, uniquePrefix } from './redis';

/** Helpers for the verification-job tests: run modes, HTTP shorthands, polling, worker processes. */

export const ROOT = join(__dirname, '..', '..');
export const WORKER_JS = join(ROOT, 'dist', 'worker.js');

export type RunMode = 'inline' | 'bullmq';
export const RUN_MODES: RunMode[] = ['inline', 'bullmq'];

// ---------------------------------------------------------------------------------------------
// Polling

export interface WaitOptions {
  timeoutMs?: number;
  intervalMs?: number;
}

/**
 * Calls `probe` until `accept` holds for its value or the deadline passes; then fails with what
 * it last saw, so a timeout explains itself.
 */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T>,
  accept: (value: T) => boolean,
  { timeoutMs = 10_000, intervalMs = 20 }: WaitOptions = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  let lastError: unknown;
  for (;;) {
    try {
      last = await probe();
      lastError = undefined;
      if (accept(last)) return last;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() >= deadline) {
      const seen = lastError ? `error ${(lastError as Error).message}` : JSON.stringify(last)?.slice(0, 2000);
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last saw: ${seen}`);
    }
    await sleep(intervalMs);
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

// ---------------------------------------------------------------------------------------------
// The API, as a checker sees it

export interface ClaimViewBody {
  id: string;
  kind: string;
  status: string;
  verdict: { support: number; contradict: number; basis: string[]; rule: string; reason?: string };
  evidence: Array<{ evidenceId: string; stance: string; attachedBy: string; retracted: boolean; attached?: boolean; rule?: Record<string, unknown> }>;
  statusHistory: Array<{ status: string; at: string; position: number }>;
  version: number;
  /** Workflow v1 and verdict-v2 (issue 14). */
  publishedReview?: { reviewId: string; rating: string; explanation: string; publishedAt: string; proposedBy: string; approvedBy: string; claimVersion: number } | null;
  reviewOutdated?: boolean;
  windowClosedAt?: string | null;
}

export interface EvidenceViewBody {
  id: string;
  kind: string;
  claimId: string | null;
  retracted: boolean;
  source: { url: string; publisher?: string };
  reliability: string;
  credibility: number;
  attachedTo: Array<{ claimId: string; stance: string; attachedBy: string; attached: boolean }>;
}

type Body = Record<string, unknown>;

/** Thin client over supertest that fails loudly on an unexpected status. */
export class Api {
  constructor(
    readonly http: TestApp['http'],
    readonly key: string,
  ) {}

  private expect(res: request.Response, status: number, what: string): request.Response {
    if (res.status !== status) throw new Error(`${what} answered ${res.status} (expected ${status}): ${res.text.slice(0, 1000)}`);
    return res;
  }

  async createClaim(body: Body): Promise<string> {
    const res = await request(this.http).post('/api/claims').set(bearer(this.key)).send(body);
    return this.expect(res, 201, 'POST /api/claims').body.id as string;
  }

  async postEvidence(claimId: string, body: Body): Promise<string> {
    const res = await request(this.http).post(`/api/claims/${claimId}/evidence`).set(bearer(this.key)).send(body);
    return this.expect(res, 202, 'POST /api/claims/:id/evidence').body.evidenceId as string;
  }

  async postReport(body: Body): Promise<string> {
    const res = await request(this.http).post('/api/reports').set(bearer(this.key)).send(body);
    return this.expect(res, 202, 'POST /api/reports').body.evidenceId as string;
  }

  async retract(evidenceId: string, reason = 'the source withdrew the report'): Promise<void> {
    const res = await request(this.http).post(`/api/evidence/${evidenceId}/retract`).set(bearer(this.key)).send({ reason });
    this.expect(res, 202, 'POST /api/evidence/:id/retract');
  }

  async claim(id: string): Promise<ClaimViewBody> {
    const res = await request(this.http).get(`/api/claims/${id}`).set(bearer(this.key));
    return this.expect(res, 200, 'GET /api/claims/:id').body as ClaimViewBody;
  }

  async claimEvents(id: string): Promise<StoredEvent[]> {
    const res = await request(this.http).get(`/api/claims/${id}/events`).set(bearer(this.key));
    return this.expect(res, 200, 'GET /api/claims/:id/events').body.items as StoredEvent[];
  }

  async evidence(id: string): Promise<EvidenceViewBody> {
    const res = await request(this.http).get(`/api/evidence/${id}`).set(bearer(this.key));
    return this.expect(res, 200, 'GET /api/evidence/:id').body as EvidenceViewBody;
  }

  /** The whole global feed, page by page. */
  async feed(): Promise<StoredEvent[]> {
    const out: StoredEvent[] = [];
    let after = 0;
    for (;;) {
      const res = await request(this.http).get(`/api/events?after=${after}&limit=500`).set(bearer(this.key));
      const body = this.expect(res, 200, 'GET /api/events').body as { items: StoredEvent[]; nextCursor: string | null };
      out.push(...body.items);
      if (!body.nextCursor) return out;
      after = Number(body.nextCursor);
    }
  }

  async verifyLedger(): Promise<{ ok: boolean; checked: number; head: { position: number; hash: string } }> {
    const res = await request(this.http).get('/api/ledger/verify').set(bearer(this.key));
    return this.expect(res, 200, 'GET /api/ledger/verify').body;
  }

  waitForStatus(claimId: string, status: string, opts?: WaitOptions): Promise<ClaimViewBody> {
    return waitFor(`claim ${claimId} to become ${status}`, () => this.claim(claimId), (c) => c.status === status, opts);
  }

  /** Waits until the claim shows the given pieces of evidence as attached (and maybe a status). */
  waitForEvidence(claimId: string, evidenceIds: string[], opts?: WaitOptions): Promise<ClaimViewBody> {
    return waitFor(
      `claim ${claimId} to show evidence ${evidenceIds.join(', ')}`,
      () => this.claim(claimId),
      (c) => evidenceIds.every((id) => c.evidence.some((e) => e.evidenceId === id)),
      opts,
    );
  }
}

/** The feed's EvidenceAttached events for one piece on one claim. */
export function attachmentsIn(feed: StoredEvent[], claimId: string, evidenceId: string): StoredEvent[] {
  return feed.filter(
    (e) => e.type === 'EvidenceAttached' && e.streamId === `claim-${claimId}` && (e.data as { evidenceId: string }).evidenceId === evidenceId,
  );
}

// ---------------------------------------------------------------------------------------------
// Booting the app in a run mode

export interface JobsTestApp extends TestApp {
  mode: RunMode;
  prefix: string | null;
  api: Api;
}

/** Every queue prefix a test file used, so afterAll can delete their keys. */
export class PrefixLedger {
  private readonly used = new Set<string>();

  constructor(private readonly label: string) {}

  next(): string {
    const p = uniquePrefix(this.label);
    this.used.add(p);
    return p;
  }

  async cleanup(url = TEST_REDIS_URL): Promise<void> {
    for (const p of this.used) await deleteKeysWithPrefix(p, url).catch(() => undefined);
    this.used.clear();
  }
}

/**
 * Boots the real app in one run mode on a fresh SQLite file: inline (no Redis) or BullMQ
 * (test Redis, a fresh queue prefix per app so job ids never meet another app's).
 */
export async function bootJobsApp(
  mode: RunMode,
  prefixes: PrefixLedger,
  opts: { runWorkers?: boolean; redisUrl?: string; prefix?: string; dbPath?: string; overrides?: BootOptions['overrides'] } = {},
): Promise<JobsTestApp> {
  const prefix = mode === 'bullmq' ? (opts.prefix ?? prefixes.next()) : null;
  const t = await bootApp({
    dbPath: opts.dbPath,
    overrides: {
      redisUrl: mode === 'bullmq' ? (opts.redisUrl ?? TEST_REDIS_URL) : null,
      queuePrefix: prefix ?? 'claim-ledger-inline-test',
      runWorkers: opts.runWorkers ?? true,
      pollIntervalMs: 50,
      logLevel: 'error',
      ...opts.overrides,
    },
  });
  return { ...t, mode, prefix, api: new Api(t.http, t.adminKey) };
}

/**
 * Waits until the app has nothing left to do: the dispatcher has handed over everything up to
 * the head and (BullMQ) no queue has waiting, active or delayed jobs. Used before asserting that
 * something did NOT happen.
 */
export async function waitForIdle(t: Pick<TestApp, 'app'>, timeoutMs = 10_000): Promise<void> {
  const dispatcher = t.app.get(LogDispatcher);
  const sink = t.app.get(JOB_SINK) as JobSink;
  await waitFor(
    'the jobs to settle',
    async () => {
      if (!(await dispatcher.drained(50))) return false;
      if (!(sink instanceof BullMqJobSink)) return true;
      const counts = await Promise.all(
        QUEUE_NAMES.map((n) => sink.queue(n).getJobCounts('waiting', 'active', 'delayed', 'prioritized', 'waiting-children')),
      );
      const busy = counts.reduce((sum, c) => sum + Object.values(c).reduce((a, b) => a + b, 0), 0);
      if (busy > 0) return false;
      // Jobs may have appended events after the dispatcher looked: once more, now that queues are empty.
      return dispatcher.drained(50);
    },
    (idle) => idle,
    { timeoutMs, intervalMs: 25 },
  );
}

/** Waits until the dispatcher has handed every logged event's jobs to the sink (queued, maybe not run). */
export async function waitForDispatched(t: Pick<TestApp, 'app'>, timeoutMs = 10_000): Promise<void> {
  const dispatcher = t.app.get(LogDispatcher);
  if (!(await dispatcher.drained(timeoutMs))) {
    throw new Error(`the dispatcher did not hand over the log within ${timeoutMs} ms: ${JSON.stringify(await dispatcher.status())}`);
  }
}

/** BullMQ queues on the test Redis with the given prefix (for redelivery and inspection). */
export function openQueues(prefix: string, url = TEST_REDIS_URL): { queues: Map<QueueName, Queue>; close(): Promise<void> } {
  const connection = new IORedis(url, { maxRetriesPerRequest: null });
  connection.on('error', () => undefined);
  const queues = new Map<QueueName, Queue>(QUEUE_NAMES.map((n) => [n, new Queue(n, { connection, prefix })]));
  return {
    queues,
    async close() {
      for (const q of queues.values()) await q.close().catch(() => undefined);
      await connection.quit().catch(() => connection.disconnect());
    },
  };
}

/** Polls a job until it is completed or failed; returns it. */
export async function waitForJob(queue: Queue, jobId: string, timeoutMs = 10_000): Promise<Job> {
  const state = await waitFor(
    `job ${jobId} on ${queue.name} to finish`,
    async () => (await queue.getJob(jobId))?.getState(),
    (s) => s === 'completed' || s === 'failed',
    { timeoutMs },
  );
  const job = (await queue.getJob(jobId)) as Job;
  if (state === 'failed') throw new Error(`job ${jobId} failed: ${job.failedReason}`);
  return job;
}

// ---------------------------------------------------------------------------------------------
// verdict-v1, recomputed by a reader of the public API

/** Facts for computeVerdict from GET /api/evidence/:id answers. */
export function factOf(e: EvidenceViewBody, stance: string): EvidenceFact {
  return {
    evidenceId: e.id,
    stance: stance as EvidenceFact['stance'],
    reliability: e.reliability as EvidenceFact['reliability'],
    credibility: e.credibility as EvidenceFact['credibility'],
    source: e.source,
  };
}

/**
 * Replays a claim's own stream the way an outside reader would: after every attach, detach or
 * window closing, the claim's rule (verdict-v1; verdict-v2 once ScopeWindowClosed is on the
 * stream) over what is attached; a VerificationStatusChanged must follow exactly when the
 * status moves, carrying that verdict. Returns the final verdict and the replayed status trail.
 * Throws with a precise message on the first disagreement.
 */
export function replayVerdicts(events: StoredEvent[], evidence: Map<string, EvidenceViewBody>): { verdict: Verdict; statuses: string[] } {
  const attached = new Map<string, string>(); // evidenceId → stance
  let status = 'unverified';
  const statuses = ['unverified'];
  let verdict = computeVerdict([]);
  // verdict-v2: once ScopeWindowClosed is on the stream, statuses follow verdict-v2 (VERDICT.md).
  let expectation: 'absence' | 'presence' | null = null;
  let closed = false;
  for (let i = 0; i < events.length; i++) {
    const e = events[i];
    if (e.type === 'ClaimRecorded') expectation = e.data.scope?.expectation ?? null;
    if (e.type !== 'EvidenceAttached' && e.type !== 'EvidenceDetached' && e.type !== 'ScopeWindowClosed') {
      if (e.type === 'VerificationStatusChanged') {
        const prev = events[i - 1]?.type;
        if (prev !== 'EvidenceAttached' && prev !== 'EvidenceDetached' && prev !== 'ScopeWindowClosed') {
          throw new Error(`VerificationStatusChanged at position ${e.position} does not follow an attach, a detach or a window closing`);
        }
      }
      continue;
    }
    if (e.type === 'ScopeWindowClosed') closed = true;
    else {
      const d = e.data as { evidenceId: string; stance?: string };
      if (e.type === 'EvidenceAttached') attached.set(d.evidenceId, d.stance!);
      else attached.delete(d.evidenceId);
    }
    const rule = closed ? 'verdict-v2' : 'verdict-v1';
    verdict = computeVerdictBy(
      rule,
      [...attached].map(([id, stance]) => {
        const ev = evidence.get(id);
        if (!ev) throw new Error(`no evidence view for ${id}`);
        return factOf(ev, stance);
      }),
      { closed, expectation },
    );
    const next = events[i + 1];
    if (verdict.status === status) {
      if (next?.type === 'VerificationStatusChanged') {
        throw new Error(`position ${next.position}: status change recorded although ${rule} stays ${status}`);
      }
      continue;
    }
    if (next?.type !== 'VerificationStatusChanged') {
      throw new Error(`position ${e.position}: ${rule} moves ${status} → ${verdict.status} but no VerificationStatusChanged follows`);
    }
    const recorded = next.data as { from: string; to: string; support: number; contradict: number; basis: string[]; rule: string; reason?: string };
    const expected = { from: status, to: verdict.status, support: verdict.support, contradict: verdict.contradict, basis: verdict.basis, rule: verdict.rule, reason: verdict.reason };
    const got = { from: recorded.from, to: recorded.to, support: recorded.support, contradict: recorded.contradict, basis: [...recorded.basis].sort(), rule: recorded.rule, reason: recorded.reason };
    if (JSON.stringify(got) !== JSON.stringify({ ...expected, basis: [...expected.basis].sort() })) {
      throw new Error(`position ${next.position}: recorded ${JSON.stringify(got)}, ${rule} gives ${JSON.stringify(expected)}`);
    }
    status = verdict.status;
    statuses.push(status);
  }
  return { verdict, statuses };
}

/** Fetches the claim's events and every piece ever attached to it, then replays (see above). */
export async function recomputeFromApi(api: Api, claimId: string): Promise<{ verdict: Verdict; statuses: string[]; events: StoredEvent[] }> {
  const events = await api.claimEvents(claimId);
  const ids = new Set(events.filter((e) => e.type === 'EvidenceAttached').map((e) => (e.data as { evidenceId: string }).evidenceId));
  const evidence = new Map<string, EvidenceViewBody>();
  for (const id of ids) evidence.set(id, await api.evidence(id));
  return { ...replayVerdicts(events, evidence), events };
}

// ---------------------------------------------------------------------------------------------
// Child processes: workers and a throwaway Redis

export interface Child {
  proc: ChildProcess;
  pid: number;
  output(): string;
  /** Resolves with the exit code (or signal name) once the process is gone. */
  exited: Promise<number | string>;
  waitForOutput(pattern: RegExp, timeoutMs?: number): Promise<void>;
  kill(signal?: NodeJS.Signals): Promise<number | string>;
  /** SIGTERM, then SIGKILL if it has not gone within `graceMs`. */
  stop(graceMs?: number): Promise<number | string>;
}

function track(proc: ChildProcess, label: string): Child {
  let out = '';
  const waiters: Array<() => void> = [];
  const onData = (chunk: Buffer): void => {
    out += chunk.toString();
    if (out.length > 200_000) out = out.slice(-100_000);
    for (const w of waiters.splice(0)) w();
  };
  proc.stdout?.on('data', onData);
  proc.stderr?.on('data', onData);
  let alive = true;
  // If this test process ends without stopping the child (a crash, a forced exit), take it along.
  const reap = (): void => {
    if (alive) proc.kill('SIGKILL');
  };
  process.once('exit', reap);
  const exited = new Promise<number | string>((resolve) => {
    proc.once('exit', (code, signal) => {
      process.removeListener('exit', reap);
      alive = false;
      for (const w of waiters.splice(0)) w();
      resolve(code ?? signal ?? 'unknown');
    });
  });
  const child: Child = {
    proc,
    pid: proc.pid!,
    output: () => out,
    exited,
    async waitForOutput(pattern, timeoutMs = 15_000) {
      const deadline = Date.now() + timeoutMs;
      while (!pattern.test(out)) {
        if (!alive) throw new Error(`${label} exited before printing ${pattern}; output:\n${out}`);
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`${label} did not print ${pattern} within ${timeoutMs} ms; output:\n${out}`);
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, Math.min(left, 250));
          waiters.push(() => {
            clearTimeout(timer);
            resolve();
          });
        });
      }
    },
    async kill(signal: NodeJS.Signals = 'SIGTERM') {
      if (alive) proc.kill(signal);
      return exited;
    },
    async stop(graceMs = 5_000) {
      if (!alive) return exited;
      proc.kill('SIGTERM');
      const timer = setTimeout(() => alive && proc.kill('SIGKILL'), graceMs);
      try {
        return await exited;
      } finally {
        clearTimeout(timer);
      }
    },
  };
  return child;
}

export interface WorkerProcessOptions {
  dbPath: string;
  prefix: string;
  redisUrl?: string;
  env?: Record<string, string>;
}

/** `node dist/worker.js` on one SQLite file and queue prefix; resolves once it says it runs. */
export async function startWorkerProcess(o: WorkerProcessOptions): Promise<Child> {
  assertFreshBuild('worker.js');
  if (!existsSync(WORKER_JS)) throw new Error(`${WORKER_JS} is missing: run "npm run build" first`);
  const proc = spawn(process.execPath, [WORKER_JS], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      DATABASE_PATH: o.dbPath,
      REDIS_URL: o.redisUrl ?? TEST_REDIS_URL,
      QUEUE_PREFIX: o.prefix,
      LOG_LEVEL: 'info',
      POLL_INTERVAL_MS: '50',
      ...o.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const child = track(proc, `worker ${proc.pid}`);
  try {
    await child.waitForOutput(/worker running/, 60_000);
  } catch (err) {
    await child.kill('SIGKILL');
    throw err;
  }
  return child;
}

export interface JobLogLine {
  msg: string;
  queue?: string;
  evidenceId?: string;
  claimId?: string;
  appended?: number;
  pid?: number;
}

/** The "job completed" lines a worker process logged (its logs are JSON lines). */
export function completedJobs(child: Child): JobLogLine[] {
  const out: JobLogLine[] = [];
  for (const line of child.output().split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      const parsed = JSON.parse(line) as JobLogLine;
      if (parsed.msg === 'job completed') out.push(parsed);
    } catch {
      /* a partial line */
    }
  }
  return out;
}

/** A free TCP port on 127.0.0.1 (asked of the OS, then released). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

/** `redis-cli ping` (a client of its own that leaves no sockets or timers behind in this process). */
function redisCliPing(port: number, password?: string): Promise<boolean> {
  // REDISCLI_AUTH: the password without a warning about passwords on the command line.
  const env = password === undefined ? process.env : { ...process.env, REDISCLI_AUTH: password };
  return new Promise((resolve) => {
    execFile('redis-cli', ['-h', '127.0.0.1', '-p', String(port), 'ping'], { timeout: 2_000, env }, (err, stdout) => {
      resolve(!err && stdout.trim() === 'PONG');
    });
  });
}

/**
 * A throwaway redis-server with no persistence, on the given port; resolves once it answers PING.
 * `requirepass`: it asks clients for this password (as the compose file's Redis does).
 */
export async function startRedisServer(port: number, opts: { requirepass?: string } = {}): Promise<Child> {
  const auth = opts.requirepass === undefined ? [] : ['--requirepass', opts.requirepass];
  const proc = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', ...auth], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const child = track(proc, `redis-server :${port}`);
  try {
    await waitFor(`redis-server on port ${port} to answer`, () => redisCliPing(port, opts.requirepass), (pong) => pong, { timeoutMs: 10_000, intervalMs: 50 });
  } catch (err) {
    await child.kill('SIGKILL');
    throw err;
  }
  return child;
}
