import { Inject, Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { HealthIndicatorService, type HealthIndicatorFunction, type HealthIndicatorResult } from '@nestjs/terminus';
import { DataSource } from 'typeorm';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { LogDispatcher } from '../jobs/log-dispatcher';
import { DeadLetterStore } from '../jobs/dead-letters';
import { JOB_SINK } from '../jobs/jobs.module';
import type { JobSink } from '../jobs/job-sink';
import type { BullMqJobSink } from '../jobs/bullmq';
import { LedgerReader } from '../ledger/ledger-reader';
import { ChainVerifier, rowProblem, type VerifyReport } from '../ledger/chain-verifier';

/** How many of the newest events /health re-hashes on every call (the whole chain: GET /api/ledger/verify). */
export const CHAIN_TAIL = 100;
const CHECK_TIMEOUT_MS = 3000;
/** How long a Redis that does not answer PING is retried (it may be reconnecting) before it is reported down. */
const REDIS_SETTLE_MS = 1500;

function withTimeout<T>(work: Promise<T>, what: string, ms = CHECK_TIMEOUT_MS): Promise<T> {
  let timer: NodeJS.Timeout;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms} ms`)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

const message = (err: unknown): string => (err instanceof Error ? err.message : String(err));

export interface ChainTailReport {
  ok: boolean;
  checked: number;
  fromPosition: number;
  head: { position: number; hash: string | null };
  firstBadPosition?: number;
  problem?: string;
}

/**
 * Re-hashes the newest `tail` events and checks their links (positions gap-free, each prevHash
 * the hash before it; position 1 links to 64 zeros). Cheap enough for every health call; a
 * full walk of the chain is GET /api/ledger/verify.
 */
export async function verifyChainTail(reader: LedgerReader, tail = CHAIN_TAIL): Promise<ChainTailReport> {
  const head = await reader.head();
  if (head.position === 0) return { ok: true, checked: 0, fromPosition: 0, head };
  const from = Math.max(1, head.position - tail + 1);
  const rows = await reader.readRowsAfter(from - 1, tail);
  let prev: string | null = null;
  let checked = 0;
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i];
    const bad = (problem: string): ChainTailReport => ({ ok: false, checked, fromPosition: from, head, firstBadPosition: from + i, problem });
    const problem = rowProblem(row, from + i, prev);
    if (problem) return bad(problem);
    prev = row.hash;
    checked++;
  }
  if (rows.length === 0 || rows[rows.length - 1].position < head.position) {
    return { ok: false, checked, fromPosition: from, head, firstBadPosition: from + rows.length, problem: 'events are missing before the head' };
  }
  return { ok: true, checked, fromPosition: from, head };
}

/**
 * The checks behind GET /health, as terminus indicators: the database answers a query, Redis
 * answers PING (only with REDIS_URL), the dispatcher reports how far it is behind the head
 * (informational: lag alone never makes the service unhealthy), and the newest events of the
 * hash chain verify.
 */
@Injectable()
export class HealthChecks implements OnApplicationBootstrap, OnModuleDestroy {
  /**
   * The whole chain, re-verified in the background at start and then every CHAIN_FULL_VERIFY_MS
   * (default 1 h; 0: never): damage older than the tail (e.g. a file edited while the service
   * was stopped) would otherwise never turn /health red. The last result is reported until the next.
   */
  private full: (VerifyReport & { at: string }) | null = null;
  private fullRun: Promise<void> | null = null;
  private fullTimer: NodeJS.Timeout | null = null;
  constructor(
    private readonly indicator: HealthIndicatorService,
    private readonly ds: DataSource,
    private readonly reader: LedgerReader,
    private readonly dispatcher: LogDispatcher,
    @Inject(JOB_SINK) private readonly sink: JobSink,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly verifier: ChainVerifier,
    private readonly deadLetters: DeadLetterStore,
  ) {}

  onApplicationBootstrap(): void {
    if (this.config.chainFullVerifyMs === 0) return;
    this.verifyWholeChain();
    this.fullTimer = setInterval(() => this.verifyWholeChain(), this.config.chainFullVerifyMs);
    this.fullTimer.unref();
  }

  onModuleDestroy(): void {
    if (this.fullTimer) clearInterval(this.fullTimer);
    this.fullTimer = null;
  }

  private verifyWholeChain(): void {
    if (this.fullRun) return;
    const at = new Date().toISOString();
    // Through the verifier GET /api/ledger/verify uses: damage found here is what verify reports, and a pass clears it.
    this.fullRun = this.verifier
      .verify({ full: true })
      .then((r) => void (this.full = { ...r, at }))
      .catch(() => undefined) // the database check reports a database that does not answer
      .finally(() => (this.fullRun = null));
  }

  indicators(): HealthIndicatorFunction[] {
    const list: HealthIndicatorFunction[] = [() => this.database()];
    if (this.config.redisUrl) list.push(() => this.redis(), () => this.workers());
    list.push(() => this.dispatcherStatus(), () => this.deadLetterStatus(), () => this.chain());
    return list;
  }

  async database(): Promise<HealthIndicatorResult> {
    const check = this.indicator.check('database');
    const started = Date.now();
    try {
      if (!this.ds.isInitialized) return check.down({ message: 'the database connection is closed' });
      await withTimeout(this.ds.query('SELECT 1 AS ok'), 'the database');
      return check.up({ responseTimeMs: Date.now() - started });
    } catch (err) {
      return check.down({ message: message(err) });
    }
  }

  async redis(): Promise<HealthIndicatorResult> {
    const check = this.indicator.check('redis');
    const started = Date.now();
    const pingable = this.sink as JobSink & { ping?: () => Promise<boolean> };
    if (typeof pingable.ping !== 'function') return check.down({ message: 'REDIS_URL is set but jobs are not going through BullMQ' });
    try {
      // A connection that is (re)connecting fails PING at once: give it a moment before saying down.
      const ping = async (): Promise<boolean> => {
        for (;;) {
          if (await pingable.ping!()) return true;
          if (Date.now() - started >= REDIS_SETTLE_MS) return false;
          await new Promise((r) => setTimeout(r, 100));
        }
      };
      const ok = await withTimeout(ping(), 'Redis');
      return ok ? check.up({ responseTimeMs: Date.now() - started }) : check.down({ message: 'Redis did not answer PING' });
    } catch (err) {
      return check.down({ message: message(err) });
    }
  }

  /**
   * BullMQ: are jobs being taken? Down when a queue has had a job waiting longer than
   * WORKER_STALE_MS with no live worker on it (e.g. RUN_WORKERS=false and no `npm run worker`).
   * A backlog that workers are working through is not down: it shows in the dispatcher's lag.
   */
  async workers(): Promise<HealthIndicatorResult> {
    const check = this.indicator.check('workers');
    const sink = this.sink as JobSink & Partial<Pick<BullMqJobSink, 'workerStatus'>>;
    if (typeof sink.workerStatus !== 'function') return check.down({ message: 'REDIS_URL is set but jobs are not going through BullMQ' });
    try {
      const queues = await withTimeout(sink.workerStatus(), 'the BullMQ queues');
      const stale = queues.filter((q) => q.workers === 0 && q.oldestWaitingMs !== null && q.oldestWaitingMs > this.config.workerStaleMs);
      const data = { queues: Object.fromEntries(queues.map((q) => [q.queue, { workers: q.workers, oldestWaitingMs: q.oldestWaitingMs }])) };
      if (stale.length === 0) return check.up(data);
      const names = stale.map((q) => q.queue).join(', ');
      return check.down({ ...data, message: `jobs have waited more than ${this.config.workerStaleMs} ms with no live worker on ${names}: start \`npm run worker\` (or RUN_WORKERS=true)` });
    } catch (err) {
      return check.down({ message: message(err) });
    }
  }

  /**
   * Jobs that failed all their attempts. Up (with `degraded: true` and a message) when there are
   * some: one poisoned job is worth an operator's look, but the service still records, serves and
   * verifies everything else, so it is no reason for a load balancer to take the instance out.
   * Down only when the count cannot be read.
   */
  async deadLetterStatus(): Promise<HealthIndicatorResult> {
    const check = this.indicator.check('deadLetters');
    try {
      const counts = await withTimeout(this.deadLetters.counts(), 'the dead-letter count');
      const waiting = counts.dead + counts.retrying;
      if (waiting === 0) return check.up({ count: 0, retrying: 0, degraded: false });
      return check.up({
        count: counts.dead,
        retrying: counts.retrying,
        degraded: true,
        message: `${counts.dead} job(s) failed all their attempts${counts.retrying ? `, ${counts.retrying} being retried` : ''}: GET /api/admin/dead-letters, then POST …/:id/retry once the cause is fixed`,
      });
    } catch (err) {
      return check.down({ message: message(err) });
    }
  }

  async dispatcherStatus(): Promise<HealthIndicatorResult> {
    const check = this.indicator.check('dispatcher');
    try {
      const s = await withTimeout(this.dispatcher.status(), 'the dispatcher status');
      return check.up({ mode: s.mode, checkpoint: s.checkpoint, head: s.head, lag: s.lag, delivering: s.healthy, lastError: s.lastError });
    } catch (err) {
      return check.down({ message: message(err) });
    }
  }

  async chain(): Promise<HealthIndicatorResult> {
    const check = this.indicator.check('chain');
    try {
      const r = await withTimeout(verifyChainTail(this.reader), 'the chain check');
      const data = {
        scope: 'tail',
        description: `re-hashed the newest ${CHAIN_TAIL} events; GET /api/ledger/verify verifies the whole chain`,
        checked: r.checked,
        fromPosition: r.fromPosition,
        head: r.head,
        ...(r.ok ? {} : { firstBadPosition: r.firstBadPosition, problem: r.problem }),
        ...(this.full ? { wholeChain: { ok: this.full.ok, checked: this.full.checked, at: this.full.at } } : {}),
      };
      if (!r.ok) return check.down(data);
      // Damage any walk of the verifier found (this background check, an admin's ?full=true, a
      // verify call), until a full walk passes again: /health and verify say the same.
      const damage = this.verifier.knownDamage;
      if (damage) {
        return check.down({ ...data, scope: 'whole chain', firstBadPosition: damage.firstBadPosition, problem: damage.problem });
      }
      return check.up(data);
    } catch (err) {
      return check.down({ message: message(err) });
    }
  }
}
