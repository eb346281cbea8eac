import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../../config/app-config';
import { EventStore } from '../event-store';
import { expiredBefore, purgeExpired } from '../idempotency';

/** Records deleted per transaction: each batch is a short write, so appends queue behind it only briefly. */
const PURGE_BATCH = 1000;

/**
 * Deletes Idempotency-Key records older than IDEMPOTENCY_TTL_HOURS, every
 * IDEMPOTENCY_PURGE_INTERVAL_MS, in the API process (where the keys are written). Each batch is
 * one transaction of the event store's single writer, so a purge never runs between a group
 * commit's key check and its insert; and it deletes only records every lookup already treats as
 * expired, so no live key can be lost to it (and no retry turned into a second write).
 */
@Injectable()
export class IdempotencyPurger implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('IdempotencyPurger');
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<number> | null = null;
  private readonly now: () => Date;

  constructor(
    private readonly store: EventStore,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    this.now = config.clock ?? (() => new Date());
  }

  onApplicationBootstrap(): void {
    if (this.config.idempotencyPurgeIntervalMs === 0) return;
    this.timer = setInterval(() => {
      this.purge().catch((err: unknown) => this.logger.warn(`purging expired Idempotency-Key records failed: ${(err as Error).message}`));
    }, this.config.idempotencyPurgeIntervalMs);
    this.timer.unref();
  }

  async onModuleDestroy(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running?.catch(() => undefined);
  }

  /** One purge (a purge in progress is shared): the number of records deleted. */
  purge(): Promise<number> {
    this.running ??= this.purgeAll().finally(() => (this.running = null));
    return this.running;
  }

  private async purgeAll(): Promise<number> {
    const before = expiredBefore(this.now(), this.config.idempotencyTtlHours);
    let total = 0;
    for (;;) {
      if (this.timer === null && this.config.idempotencyPurgeIntervalMs !== 0) break; // shutting down
      const deleted = await this.store.transaction((tx) => purgeExpired(tx, before, PURGE_BATCH));
      total += deleted;
      if (deleted < PURGE_BATCH) break;
    }
    if (total > 0) this.logger.log(`deleted ${total} Idempotency-Key record(s) created before ${before}`);
    return total;
  }
}
