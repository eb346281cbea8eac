import { HttpException } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import IORedis from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import type { Principal } from './roles';

/**
 * Per-key limits:
 * - requests per minute, writes and reads counted apart (RATE_LIMIT_PER_MINUTE,
 *   RATE_LIMIT_READS_PER_MINUTE), per API key (per client address, request.ip, for keyless reads
 *   under PUBLIC_READ): a fixed one-minute window per bucket; over it, 429 problem+json with
 *   Retry-After (the seconds until the window ends);
 * - failed authentications per client address (AUTH_FAILURES_PER_MINUTE): over it, a bad key is
 *   answered 429 instead of 401 (a good key from the same address still works);
 * - live SSE streams at once (SSE_MAX_CLIENTS_PER_KEY): beyond it, 429 until one closes.
 * With REDIS_URL the minute budgets live in Redis (rate-limiter-flexible's RateLimiterRedis, keys
 * `<QUEUE_PREFIX>:rate-limit:<budget>:<bucket>`), so all API processes share them; without Redis,
 * or while Redis does not answer, each process counts in memory (fail open, never a 500).
 * Public routes (health, metrics, docs, the dashboard page) are not limited. 0 turns a limit off.
 */

export const DEFAULT_WRITES_PER_MINUTE = 1200;
export const DEFAULT_READS_PER_MINUTE = 12_000;
export const DEFAULT_AUTH_FAILURES_PER_MINUTE = 30;

/** What taking one request from a budget says: allowed, or how many whole seconds until it would be. */
export interface LimitAnswer {
  allowed: boolean;
  retryAfterSec: number;
}

/** Where shared budgets live: a Redis connection and the key prefix of this deployment. */
export interface SharedStore {
  redis: IORedis;
  prefix: string;
}

/**
 * One budget: `perMinute` requests per bucket (an API key, an address) in each one-minute window.
 * `take(bucketKey)` is all a caller needs (guards, Fastify hooks).
 */
export class RequestBudget {
  private readonly limiter: RateLimiterAbstract | null;

  constructor(
    readonly name: string,
    readonly perMinute: number,
    store: SharedStore | null = null,
  ) {
    if (perMinute <= 0) {
      this.limiter = null;
      return;
    }
    const opts = { points: perMinute, duration: 60, keyPrefix: `${store?.prefix ?? 'claim-ledger'}:rate-limit:${name}` };
    // The in-memory limiter is also the insurance: while Redis does not answer, this process counts alone.
    const memory = new RateLimiterMemory(opts);
    this.limiter = store
      ? new RateLimiterRedis({ ...opts, storeClient: store.redis, insuranceLimiter: memory, rejectIfRedisNotReady: true })
      : memory;
  }

  /** False for a budget of 0 (no limit): callers may skip take() and its promise. */
  get enabled(): boolean {
    return this.limiter !== null;
  }

  async take(bucketKey: string): Promise<LimitAnswer> {
    if (!this.limiter) return { allowed: true, retryAfterSec: 0 };
    try {
      await this.limiter.consume(bucketKey);
      return { allowed: true, retryAfterSec: 0 };
    } catch (res) {
      if (res instanceof RateLimiterRes) return { allowed: false, retryAfterSec: Math.max(1, Math.ceil(res.msBeforeNext / 1000)) };
      return { allowed: true, retryAfterSec: 0 }; // the store failed and so did the insurance: let it through
    }
  }
}

/** The limiters of one API process (the minute budgets shared through Redis when there is one). */
export class RateLimiter {
  readonly writes: RequestBudget;
  readonly reads: RequestBudget;
  /** Failed authentications per client address. */
  readonly authFailures: RequestBudget;

  constructor(
    limits: { writesPerMinute: number; readsPerMinute: number; authFailuresPerMinute?: number },
    private readonly store: SharedStore | null = null,
  ) {
    this.writes = new RequestBudget('writes', limits.writesPerMinute, store);
    this.reads = new RequestBudget('reads', limits.readsPerMinute, store);
    this.authFailures = new RequestBudget('auth-failures', limits.authFailuresPerMinute ?? DEFAULT_AUTH_FAILURES_PER_MINUTE, store);
  }

  static fromConfig(config: AppConfig): RateLimiter {
    let store: SharedStore | null = null;
    if (config.redisUrl) {
      // Its own connection, failing fast while Redis is away (the in-memory insurance answers then).
      const redis = new IORedis(config.redisUrl, { enableOfflineQueue: false, maxRetriesPerRequest: 1 });
      redis.on('error', () => undefined); // Redis outages are reported by /health and the job sink
      store = { redis, prefix: config.queuePrefix };
    }
    return new RateLimiter(
      {
        writesPerMinute: config.rateLimitWritesPerMinute ?? DEFAULT_WRITES_PER_MINUTE,
        readsPerMinute: config.rateLimitReadsPerMinute ?? DEFAULT_READS_PER_MINUTE,
        authFailuresPerMinute: config.authFailuresPerMinute ?? DEFAULT_AUTH_FAILURES_PER_MINUTE,
      },
      store,
    );
  }

  /** Another minute budget on the same store (shared through Redis when there is one), e.g. a route's own limit. */
  budget(name: string, perMinute: number): RequestBudget {
    return new RequestBudget(name, perMinute, this.store);
  }

  async onModuleDestroy(): Promise<void> {
    this.store?.redis.disconnect();
  }
}

/** Who a limit counts against: the API key, else (keyless public reads) the client address. */
export function limitKey(req: FastifyRequest & { principal?: Principal }): string {
  return req.principal ? `key:${req.principal.id}` : `ip:${req.ip}`;
}

/** 429 problem+json with Retry-After (set on `reply` when given, else by the problem mapping from the exception). */
export function tooManyRequests(reply: FastifyReply | null, retryAfterSeconds: number, detail: string): HttpException {
  reply?.header('retry-after', String(retryAfterSeconds));
  return new HttpException({ message: detail, retryAfter: retryAfterSeconds }, 429);
}

/**
 * One request from the key's write or read budget (run by the request hooks in auth.guard.ts,
 * after the key is known); none left is 429 with Retry-After, before the handler runs. Nothing
 * to wait for (no limit configured): undefined, so the hook goes on in the same tick.
 */
export function takeRequestBudget(limiter: RateLimiter, req: FastifyRequest & { principal?: Principal }, reply: FastifyReply): Promise<void> | undefined {
  const write = req.method !== 'GET' && req.method !== 'HEAD';
  const budget = write ? limiter.writes : limiter.reads;
  if (!budget.enabled) return undefined;
  return budget.take(limitKey(req)).then((answer) => {
    if (answer.allowed) return;
    throw tooManyRequests(
      reply,
      answer.retryAfterSec,
      `rate limit: at most ${budget.perMinute} ${write ? 'writes' : 'reads'} per minute per API key; retry in ${answer.retryAfterSec} s`,
    );
  });
}

/** Nest wiring for AuthModule: the process's limiter, built from the configuration. */
export const RATE_LIMITER_PROVIDER = {
  provide: RateLimiter,
  inject: [APP_CONFIG],
  useFactory: (config: AppConfig) => RateLimiter.fromConfig(config),
};

