import { Inject, Module, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { EventStore } from '../ledger/event-store';
import { LedgerReader } from '../ledger/ledger-reader';
import { FeedController, SSE_MAX_BUFFERED_BYTES } from './feed.controller';
import { LogTail } from './log-tail';

function envInt(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) throw new Error(`${name} must be an integer in ${min}..${max}, got "${raw}"`);
  return n;
}

/**
 * Feed settings. From the environment: SSE_HEARTBEAT_MS (15000), SSE_BUFFER_EVENTS (4096),
 * SSE_MAX_BUFFERED_BYTES (8 MiB), SSE_WRITES_PER_SECOND (2000), SSE_MAX_FLUSH_DELAY_MS (1000); a
 * config object may carry the same as sseHeartbeatMs, sseBufferEvents, ... (tests do).
 */
export function feedSettings(config: AppConfig, env: NodeJS.ProcessEnv = process.env) {
  const c = config as AppConfig &
    Partial<{ sseHeartbeatMs: number; sseBufferEvents: number; sseMaxBufferedBytes: number; sseWritesPerSecond: number; sseMaxFlushDelayMs: number }>;
  return {
    pollIntervalMs: config.pollIntervalMs,
    heartbeatMs: c.sseHeartbeatMs ?? envInt(env, 'SSE_HEARTBEAT_MS', 15_000, 10, 3_600_000),
    bufferEvents: c.sseBufferEvents ?? envInt(env, 'SSE_BUFFER_EVENTS', 4096, 0, 1_000_000),
    maxBufferedBytes: c.sseMaxBufferedBytes ?? envInt(env, 'SSE_MAX_BUFFERED_BYTES', 8 * 1024 * 1024, 64 * 1024, 1024 * 1024 * 1024),
    writesPerSecond: c.sseWritesPerSecond ?? envInt(env, 'SSE_WRITES_PER_SECOND', 2000, 100, 10_000_000),
    maxFlushDelayMs: c.sseMaxFlushDelayMs ?? envInt(env, 'SSE_MAX_FLUSH_DELAY_MS', 1000, 0, 10_000),
    pageSize: 500,
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
      provide: SSE_MAX_BUFFERED_BYTES,
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) => feedSettings(config).maxBufferedBytes,
    },
  ],
  exports: [LogTail],
})
export class FeedModule implements OnApplicationBootstrap, OnModuleDestroy {
  constructor(@Inject(LogTail) private readonly tail: LogTail) {}

  onApplicationBootstrap(): void {
    this.tail.start();
  }

  /** First thing on shutdown: end every stream, so closing the HTTP server does not wait on them. */
  async onModuleDestroy(): Promise<void> {
    await this.tail.stop();
  }
}
