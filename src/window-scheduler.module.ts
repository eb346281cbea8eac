import { Inject, Module, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { APP_CONFIG, type AppConfig } from './config/app-config';
import { WindowScheduler } from './jobs/window-scheduler';
import { EventStore } from './ledger/event-store';
import { LedgerReader } from './ledger/ledger-reader';
import { allPledgeScopes } from './projections/pledge-scopes/queries';
import { VerificationHandlers } from './verification/verification-handlers';
import { VerificationModule } from './verification/verification.module';

/**
 * verdict-v2's window scheduler (src/jobs/window-scheduler.ts) wired to the verification
 * handler that closes a window and to the pledge-scopes read model for the catch-up sweep.
 * Part of the assembly: it joins jobs, verification and a read model.
 */
@Module({
  imports: [VerificationModule],
  providers: [
    {
      provide: WindowScheduler,
      inject: [EventStore, LedgerReader, DataSource, VerificationHandlers, APP_CONFIG],
      useFactory: (store: EventStore, reader: LedgerReader, ds: DataSource, handlers: VerificationHandlers, config: AppConfig) =>
        new WindowScheduler(
          {
            store,
            reader,
            listWindows: async () =>
              (await allPledgeScopes(ds)).flatMap((p) => (p.scope.until ? [{ claimId: p.claimId, until: p.scope.until }] : [])),
            close: (data) => handlers.closeWindow.handle(data),
          },
          {
            now: config.clock ?? (() => new Date()),
            pollIntervalMs: config.pollIntervalMs,
            redisUrl: config.redisUrl,
            queuePrefix: config.queuePrefix,
            runWorker: config.runWorkers,
          },
        ),
    },
  ],
  exports: [WindowScheduler],
})
export class WindowSchedulerModule implements OnApplicationBootstrap, OnModuleDestroy {
  constructor(@Inject(WindowScheduler) private readonly scheduler: WindowScheduler) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.scheduler.start();
  }

  async onModuleDestroy(): Promise<void> {
    await this.scheduler.stop();
  }
}
