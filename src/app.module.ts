import { DynamicModule, Module } from '@nestjs/common';
import type { AppConfig } from './config/app-config';
import { ConfigModule } from './config/config.module';
import { LedgerModule } from './ledger/ledger.module';
import { AuthModule } from './auth/auth.module';
import { ClaimsModule } from './claims/claims.module';
import { EvidenceModule } from './evidence/evidence.module';
import { ProjectionsModule } from './projections/projections.module';
import { JobsModule } from './jobs/jobs.module';
import { DeadLettersModule } from './jobs/http/dead-letters.module';
import { FeedModule } from './feed/feed.module';
import { ClaimReviewModule } from './claim-review/claim-review.module';
import { ReviewsModule } from './reviews/reviews.module';
import { WebhooksModule } from './webhooks/webhooks.module';
import { DashboardModule } from './dashboard/dashboard.module';
import { TransparencyModule } from './transparency/transparency.module';
import { ImportsModule } from './imports/imports.module';
import { JobRunnerModule } from './job-runner.module';
import { WindowSchedulerModule } from './window-scheduler.module';
import type { OpsRuntime } from './ops/ops.module';

@Module({})
export class AppModule {
  static register(config: AppConfig, ops: Pick<OpsRuntime, 'logger' | 'metrics'>): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.register(config),
        LedgerModule,
        ProjectionsModule,
        AuthModule,
        ClaimsModule,
        EvidenceModule,
        JobRunnerModule.register(ops),
        JobsModule,
        DeadLettersModule,
        WindowSchedulerModule,
        FeedModule,
        ClaimReviewModule,
        ReviewsModule,
        WebhooksModule.register({ http: true }),
        DashboardModule,
        ImportsModule,
        TransparencyModule,
      ],
    };
  }
}
