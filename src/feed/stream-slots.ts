import { Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type IORedis from 'ioredis';
import { OutageLog } from '../common/outage-log';

/**
 * How many live SSE streams are open, counted three ways: in all (SSE_MAX_CLIENTS), per API key
 * (SSE_MAX_CLIENTS_PER_KEY, also under PUBLIC_READ when a key is sent) and per client address for
 * keyless streams (SSE_MAX_CLIENTS_PER_IP). A stream takes a slot in each of its counts before
 * it is accepted and gives them back when it closes.
 *
 * Without Redis the counts are this process's. With REDIS_URL they are shared by every API
 * process: each count is a sorted set of leases (`<process>:<n>`, scored by expiry); a process
 * renews its leases every third of SSE_LEASE_TTL_MS, so the slots of a process that died expire
 * on their own. While Redis does not answer, each process decides from its own counts.
 */

export interface StreamLimits {
  global: number;
  perKey: number;
  perIp: number;
}

/** Who a stream counts against: its API key when one was sent, else its client address. */
export type StreamOwner = { keyId: string } | { ip: string };

export type SlotAnswer = { ok: true; release: () => void } | { ok: false; cap: 'global' | 'key' | 'ip'; max: number };

interface Count {
  cap: 'global' | 'key' | 'ip';
  name: string;
  max: number;
}

function countsOf(owner: StreamOwner, limits: StreamLimits): Count[] {
  const counts: Count[] = [{ cap: 'global', name: 'global', max: limits.global }];
  if ('keyId' in owner) counts.push({ cap: 'key', name: `key:${owner.keyId}`, max: limits.perKey });
  else counts.push({ cap: 'ip', name: `ip:${owner.ip}`, max: limits.perIp });
  // 0 turns a cap off: such a count is not kept at all.
  return counts.filter((c) => c.max > 0);
}

/** A release that gives its slots back once, however often it is called (a stream can close several ways). */
function once(release: () => void): () => void {
  let released = false;
  return () => {
    if (released) return;
    released = true;
    release();
  };
}

/** This process's counts. */
export class LocalStreamSlots {
  private readonly held = new Map<string, number>();

  constructor(readonly limits: StreamLimits) {}

  /** Refuses when a count is full; `force` takes the slots anyway (Redis already decided). */
  acquire(owner: StreamOwner, force = false): SlotAnswer {
    const counts = countsOf(owner, this.limits);
    if (!force) {
      for (const c of counts) if ((this.held.get(c.name) ?? 0) >= c.max) return { ok: false, cap: c.cap, max: c.max };
    }
    for (const c of counts) this.held.set(c.name, (this.held.get(c.name) ?? 0) + 1);
    return {
      ok: true,
      release: once(() => {
        for (const c of counts) {
          const left = (this.held.get(c.name) ?? 1) - 1;
          if (left <= 0) this.held.delete(c.name);
          else this.held.set(c.name, left);
        }
      }),
    };
  }

  holding(name: string): number {
    return this.held.get(name) ?? 0;
  }
}

/**
 * Takes a lease in every count, or none: expired leases are dropped first, then each count is
 * checked against its cap. Redis's own clock scores the leases, so processes need not agree on time.
 * KEYS: the counts; ARGV[1]: the lease; ARGV[2]: lease ms; ARGV[2+i]: the cap of KEYS[i].
 * Returns 0, or the index of the first full count.
 */
const ACQUIRE_SCRIPT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local ttl = tonumber(ARGV[2])
for i, k in ipairs(KEYS) do
  redis.call('ZREMRANGEBYSCORE', k, '-inf', now)
  if redis.call('ZCARD', k) >= tonumber(ARGV[2 + i]) then return i end
end
for i, k in ipairs(KEYS) do
  redis.call('ZADD', k, now + ttl, ARGV[1])
  redis.call('PEXPIRE', k, ttl * 2)
end
return 0
`;

/** Renews leases: KEYS[i] holds ARGV[1 + i]; ARGV[1]: lease ms. Re-adds a lease Redis lost (a restart). */
const RENEW_SCRIPT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local ttl = tonumber(ARGV[1])
for i, k in ipairs(KEYS) do
  redis.call('ZADD', k, now + ttl, ARGV[1 + i])
  redis.call('PEXPIRE', k, ttl * 2)
end
return #KEYS
`;

/** Leases renewed per script call (keeps each call short). */
const RENEW_BATCH = 500;

/** The counts shared through Redis, with this process's counts as the fallback. */
export class RedisStreamSlots {
  private readonly logger = new Logger('StreamSlots');
  private readonly local: LocalStreamSlots;
  private readonly process = randomUUID();
  private next = 1;
  /** Leases this process holds: lease id → the Redis keys it is in. */
  private readonly leases = new Map<string, string[]>();
  private readonly timer: NodeJS.Timeout;
  /** One warning when Redis goes away, one line when it is back. */
  private readonly redisOutage: OutageLog;

  constructor(
    readonly limits: StreamLimits,
    private readonly redis: IORedis,
    private readonly prefix: string,
    private readonly leaseMs: number,
  ) {
    this.local = new LocalStreamSlots(limits);
    this.redisOutage = new OutageLog(this.logger, "live-stream counts fall back to this process's own", 'live-stream counts are shared through Redis again');
    this.timer = setInterval(() => void this.renew(), Math.max(200, Math.floor(leaseMs / 3)));
    this.timer.unref();
  }

  async acquire(owner: StreamOwner): Promise<SlotAnswer> {
    const counts = countsOf(owner, this.limits);
    const lease = `${this.process}:${this.next++}`;
    const keys = counts.map((c) => `${this.prefix}:sse-streams:${c.name}`);
    let refusedAt: number;
    try {
      refusedAt = counts.length === 0 ? 0 : Number(await this.redis.eval(ACQUIRE_SCRIPT, keys.length, ...keys, lease, this.leaseMs, ...counts.map((c) => c.max)));
      this.redisOutage.up();
    } catch (err) {
      this.redisOutage.down((err as Error)?.message ?? String(err));
      // Redis is away: this process's own counts decide.
      return this.local.acquire(owner);
    }
    if (refusedAt > 0) {
      const c = counts[refusedAt - 1];
      return { ok: false, cap: c.cap, max: c.max };
    }
    const local = this.local.acquire(owner, true) as { ok: true; release: () => void };
    this.leases.set(lease, keys);
    return {
      ok: true,
      release: once(() => {
        local.release();
        this.leases.delete(lease);
        const pipeline = this.redis.pipeline();
        for (const k of keys) pipeline.zrem(k, lease);
        // A lease Redis could not drop expires by itself within SSE_LEASE_TTL_MS.
        pipeline.exec().catch(() => undefined);
      }),
    };
  }

  /** The heartbeat: pushes every held lease's expiry forward. */
  private async renew(): Promise<void> {
    if (this.leases.size === 0) return;
    const pairs: Array<[string, string]> = [];
    for (const [lease, keys] of this.leases) for (const k of keys) pairs.push([k, lease]);
    try {
      for (let i = 0; i < pairs.length; i += RENEW_BATCH) {
        const batch = pairs.slice(i, i + RENEW_BATCH);
        await this.redis.eval(RENEW_SCRIPT, batch.length, ...batch.map((p) => p[0]), this.leaseMs, ...batch.map((p) => p[1]));
      }
      this.redisOutage.up();
    } catch (err) {
      this.redisOutage.down((err as Error)?.message ?? String(err));
    }
  }

  stop(): void {
    clearInterval(this.timer);
  }
}

/** Either kind, as the feed controller uses it. */
export interface StreamSlots {
  readonly limits: StreamLimits;
  acquire(owner: StreamOwner): SlotAnswer | Promise<SlotAnswer>;
  stop?(): void;
}

/** Nest token of the process's StreamSlots. */
export const STREAM_SLOTS = Symbol('STREAM_SLOTS');
