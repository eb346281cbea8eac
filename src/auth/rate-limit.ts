import { CanActivate, ExecutionContext, HttpException, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { ACCESS_KEY, type Access, type Principal } from './roles';

/**
 * Per-key limits, per process (several API processes each allow this much):
 * - requests per minute, writes and reads counted apart (RATE_LIMIT_PER_MINUTE,
 *   RATE_LIMIT_READS_PER_MINUTE): a token bucket per API key (per client address for keyless reads
 *   under PUBLIC_READ) that holds a minute's worth and refills continuously, so a burst up to the
 *   limit passes and a sustained rate above it gets 429 problem+json with Retry-After;
 * - live SSE streams at once (SSE_MAX_CLIENTS_PER_KEY): beyond it, 429 until one closes.
 * Public routes (health, metrics, docs, the dashboard page) are not limited. 0 turns a limit off.
 */

export const DEFAULT_WRITES_PER_MINUTE = 1200;
export const DEFAULT_READS_PER_MINUTE = 12_000;
export const DEFAULT_SSE_CLIENTS_PER_KEY = 64;

/** Buckets are dropped once full again (idle a minute); swept when there are this many. */
const SWEEP_AT = 10_000;

export class TokenBuckets {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    readonly perMinute: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Takes one token for `who`: 0 when allowed, else the whole seconds until a token is there. */
  take(who: string): number {
    if (this.perMinute <= 0) return 0;
    const perMs = this.perMinute / 60_000;
    const t = this.now();
    let b = this.buckets.get(who);
    if (!b) {
      if (this.buckets.size >= SWEEP_AT) this.sweep(t);
      b = { tokens: this.perMinute, at: t };
      this.buckets.set(who, b);
    }
    b.tokens = Math.min(this.perMinute, b.tokens + (t - b.at) * perMs);
    b.at = t;
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil((1 - b.tokens) / perMs / 1000));
  }

  get size(): number {
    return this.buckets.size;
  }

  private sweep(t: number): void {
    const perMs = this.perMinute / 60_000;
    for (const [who, b] of this.buckets) if (b.tokens + (t - b.at) * perMs >= this.perMinute) this.buckets.delete(who);
  }
}

/** How many of something (live SSE streams) each key holds at once. */
export class ConcurrencyCap {
  private readonly held = new Map<string, number>();

  constructor(readonly max: number) {}

  /** A slot for `who` and the function that gives it back (idempotent), or null when `who` holds max already. */
  acquire(who: string): (() => void) | null {
    if (this.max <= 0) return () => undefined;
    const n = this.held.get(who) ?? 0;
    if (n >= this.max) return null;
    this.held.set(who, n + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.held.get(who) ?? 1) - 1;
      if (left <= 0) this.held.delete(who);
      else this.held.set(who, left);
    };
  }

  holding(who: string): number {
    return this.held.get(who) ?? 0;
  }
}

/** The limiters of one API process. */
export class RateLimiter {
  readonly writes: TokenBuckets;
  readonly reads: TokenBuckets;
  readonly streams: ConcurrencyCap;

  constructor(limits: { writesPerMinute: number; readsPerMinute: number; streamsPerKey: number }) {
    this.writes = new TokenBuckets(limits.writesPerMinute);
    this.reads = new TokenBuckets(limits.readsPerMinute);
    this.streams = new ConcurrencyCap(limits.streamsPerKey);
  }

  static fromConfig(config: AppConfig): RateLimiter {
    return new RateLimiter({
      writesPerMinute: config.rateLimitWritesPerMinute ?? DEFAULT_WRITES_PER_MINUTE,
      readsPerMinute: config.rateLimitReadsPerMinute ?? DEFAULT_READS_PER_MINUTE,
      streamsPerKey: config.sseMaxClientsPerKey ?? DEFAULT_SSE_CLIENTS_PER_KEY,
    });
  }
}

/** Who a limit counts against: the API key, else (keyless public reads) the client address. */
export function limitKey(req: FastifyRequest & { principal?: Principal }): string {
  return req.principal ? `key:${req.principal.id}` : `ip:${req.ip}`;
}

export function tooManyRequests(reply: FastifyReply, retryAfterSeconds: number, detail: string): HttpException {
  reply.header('retry-after', String(retryAfterSeconds));
  return new HttpException(detail, 429);
}

/**
 * Global guard, registered after AuthGuard (so the key is known): one token per request from the
 * key's write or read bucket; none left is 429 with Retry-After, before anything else runs.
 */
@Injectable()
export class RateLimitGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly limiter: RateLimiter,
  ) {}

  canActivate(ctx: ExecutionContext): boolean {
    if (ctx.getType() !== 'http') return true;
    const access = this.reflector.getAllAndOverride<Access | undefined>(ACCESS_KEY, [ctx.getHandler(), ctx.getClass()]);
    if (access === 'public') return true;
    const req = ctx.switchToHttp().getRequest<FastifyRequest & { principal?: Principal }>();
    const write = req.method !== 'GET' && req.method !== 'HEAD';
    const buckets = write ? this.limiter.writes : this.limiter.reads;
    const wait = buckets.take(limitKey(req));
    if (wait === 0) return true;
    const reply = ctx.switchToHttp().getResponse<FastifyReply>();
    throw tooManyRequests(
      reply,
      wait,
      `rate limit: at most ${buckets.perMinute} ${write ? 'writes' : 'reads'} per minute per API key; retry in ${wait} s`,
    );
  }
}

/** Nest wiring for AuthModule: the process's limiter, built from the configuration. */
export const RATE_LIMITER_PROVIDER = {
  provide: RateLimiter,
  inject: [APP_CONFIG],
  useFactory: (config: AppConfig) => RateLimiter.fromConfig(config),
};

