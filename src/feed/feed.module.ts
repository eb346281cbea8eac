import { Inject, Module, OnApplicationBootstrap, OnModuleDestroy, Optional } from '@nestjs/common';
import type IORedis from 'ioredis';
import { ApiKeysService } from '../auth/api-keys.service';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { redisConnection } from '../jobs/bullmq';
import { EventStore } from '../ledger/event-store';
import { LedgerReader } from '../ledger/ledger-reader';
import { FeedController, SSE_MAX_BUFFERED_BYTES } from './feed.controller';
import { LogTail } from './log-tail';
import { RevokedKeyWatch } from './revoked-key-watch';
import { LocalStreamSlots, RedisStreamSlots, STREAM_SLOTS, type StreamSlots } from './stream-slots';
import { MemoryStreamTickets, RedisStreamTickets, StreamTickets } from './stream-tickets';

/** The feed's own Redis connection (stream counts and tickets), when REDIS_URL is set. */
const FEED_REDIS = Symbol('FEED_REDIS');

/**
 * Catch-up pages are about this size: a reader that does not read holds one page, not its history
 * (issue 16.1). Measured with 200 stalled readers over 20,000 events (test/reliability/sse-memory.spec.ts):
 * 64 KB pages add ~80 MB of RSS, 128 KB ~160 MB, 256 KB ~210 MB; the budget is 150 MB.
 */
export const CATCH_UP_PAGE_BYTES = 64 * 1024;

/** Feed settings, from the configuration (SSE_* variables). */
export function feedSettings(config: AppConfig) {
  return {
    pollIntervalMs: config.pollIntervalMs,
    heartbeatMs: config.sseHeartbeatMs,
    bufferEvents: config.sseBufferEvents,
    maxBufferedBytes: config.sseMaxBufferedBytes,
    writesPerSecond: config.sseWritesPerSecond,
    maxFlushDelayMs: config.sseMaxFlushDelayMs,
    pageSize: 500,
    pageBytes: CATCH_UP_PAGE_BYTES,
  };
}

/** GET /api/events/stream and the one log tail behind it. */
@Module({
  controllers: [FeedController],
  providers: [
    {
      provide: LogTail,
      inject: [EventStore, LedgerReader, APP_CONFIG],
      useFactory: (store: EventStore, reader: LedgerReader, config: AppConfig) => new LogTail(store, reader, feedSettings(config)),
    },
    {
      provide: FEED_REDIS,
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig): IORedis | null => {
        if (!config.redisUrl) return null;
        // Fails fast while Redis is away: the counts fall back to this process's own.
        const redis = redisConnection(config.redisUrl, { enableOfflineQueue: false, maxRetriesPerRequest: 1 });
        redis.on('error', () => undefined); // reported once by the slots, and by /health
        return redis;
      },
    },
    {
      provide: STREAM_SLOTS,
      inject: [APP_CONFIG, FEED_REDIS],
      useFactory: (config: AppConfig, redis: IORedis | null): StreamSlots => {
        const limits = { global: config.sseMaxClients, perKey: config.sseMaxClientsPerKey ?? 64, perIp: config.sseMaxClientsPerIp };
        return redis ? new RedisStreamSlots(limits, redis, config.queuePrefix, config.sseLeaseTtlMs) : new LocalStreamSlots(limits);
      },
    },
    {
      provide: StreamTickets,
      inject: [APP_CONFIG, FEED_REDIS],
      useFactory: (config: AppConfig, redis: IORedis | null): StreamTickets =>
        redis
          ? new RedisStreamTickets(config.sseTicketTtlMs, redis, config.queuePrefix)
          : new MemoryStreamTickets(config.sseTicketTtlMs, () => (config.clock ? config.clock().getTime() : Date.now())),
    },
    {
      provide: RevokedKeyWatch,
      inject: [ApiKeysService],
      useFactory: (keys: ApiKeysService) => new RevokedKeyWatch((ids) => keys.revokedAmong(ids)),
    },
    {
      provide: SSE_MAX_BUFFERED_BYTES,
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) => feedSettings(config).maxBufferedBytes,
    },
  ],
  exports: [LogTail],
})
export class FeedModule implements OnApplicationBootstrap, OnModuleDestroy {
  constructor(
    @Inject(LogTail) private readonly tail: LogTail,
    @Inject(STREAM_SLOTS) private readonly slots: StreamSlots,
    @Inject(RevokedKeyWatch) private readonly revokedKeys: RevokedKeyWatch,
    @Optional() @Inject(FEED_REDIS) private readonly redis: IORedis | null,
  ) {}

  onApplicationBootstrap(): void {
    this.tail.start();
  }

  /** First thing on shutdown: end every stream, so closing the HTTP server does not wait on them. */
  async onModuleDestroy(): Promise<void> {
    await this.tail.stop();
    this.revokedKeys.stop();
    this.slots.stop?.();
    // The streams are over and their slots given back (ZREM is pipelined): the connection can go,
    // without waiting on a Redis that does not answer (the leases then expire by themselves).
    if (this.redis) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([this.redis.quit().catch(() => undefined), new Promise((r) => (timer = setTimeout(r, 1000)))]);
      clearTimeout(timer);
      this.redis.disconnect();
    }
  }
}
