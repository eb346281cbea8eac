import { Inject, Module, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { EventStore } from '../ledger/event-store';
import { LedgerReader } from '../ledger/ledger-reader';
import { FeedController, SSE_MAX_BUFFERED_BYTES } from './feed.controller';
import { LogTail } from './log-tail';

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
