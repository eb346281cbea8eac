import { DynamicModule, Module } from '@nestjs/common';
import { JOB_RUNNER, type JobRunner } from './jobs/job-runner';
import { instrumentJobs } from './ops/instrumentation';
import type { OpsRuntime } from './ops/ops.module';
import { VerificationHandlers } from './verification/verification-handlers';
import { VerificationModule } from './verification/verification.module';

/**
 * The job runner the jobs module hands every job to (API and worker processes): the
 * verification handlers, wrapped here, where the app is assembled, with this process's job logs
 * and metrics. Global, so JobsModule takes it without knowing verification or operations.
 */
@Module({})
export class JobRunnerModule {
  static register(ops: Pick<OpsRuntime, 'logger' | 'metrics'>): DynamicModule {
    return {
      module: JobRunnerModule,
      global: true,
      imports: [VerificationModule],
      providers: [
        {
          provide: JOB_RUNNER,
          inject: [VerificationHandlers],
          useFactory: (handlers: VerificationHandlers): JobRunner => instrumentJobs(handlers, ops.logger, ops.metrics),
        },
      ],
      exports: [JOB_RUNNER],
    };
  }
}
