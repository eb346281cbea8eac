import { Logger } from '@nestjs/common';
import type { PlannedJob } from './job-plan';
import type { JobSink } from './job-sink';
import type { JobRunner } from './job-runner';

const ATTEMPTS = 5;

/** Without Redis: the same handlers run in this process, in log order, right after commit. */
export class InlineJobSink implements JobSink {
  readonly mode = 'inline' as const;
  private readonly logger = new Logger('InlineJobs');
  completed = 0;
  failed = 0;

  constructor(private readonly runner: JobRunner) {}

  async deliver(planned: PlannedJob[]): Promise<void> {
    for (const job of planned) {
      for (let attempt = 1; ; attempt++) {
        try {
          await this.runner.run(job.queue, job.data);
          this.completed++;
          break;
        } catch (err) {
          if (attempt >= ATTEMPTS) {
            // Keep going: one poisoned job must not stall all verification. Its cause is in the log.
            this.failed++;
            this.logger.error(`job ${job.jobId} failed ${ATTEMPTS} times and is skipped: ${(err as Error).message}`);
            break;
          }
          await new Promise((r) => setTimeout(r, 50 * 2 ** attempt));
        }
      }
    }
  }

  async close(): Promise<void> {}
}
