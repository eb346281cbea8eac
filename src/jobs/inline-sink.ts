import { Logger } from '@nestjs/common';
import type { DeadLetter, DeadLetterStore } from './dead-letters';
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
  /** Retries under way (close() waits for them). */
  private readonly retries = new Set<Promise<void>>();

  constructor(
    private readonly runner: JobRunner,
    private readonly deadLetters: DeadLetterStore,
    private readonly backoffMs = 50,
  ) {}

  /**
   * Runs each job up to ATTEMPTS times. One that fails them all becomes a dead letter (recorded
   * before deliver resolves, so the checkpoint moves past it only once it is on record): one
   * poisoned job must not stall all verification, nor vanish into the log.
   */
  async deliver(planned: PlannedJob[]): Promise<void> {
    for (const job of planned) {
      const error = await this.runWithAttempts(job.queue, job.data);
      if (error === null) continue;
      this.failed++;
      await this.deadLetters.record([{ id: job.jobId, queue: job.queue, data: job.data, lastError: error, attempts: ATTEMPTS, failedAt: new Date() }]);
      this.logger.error(`job ${job.jobId} failed ${ATTEMPTS} times and is a dead letter (GET /api/admin/dead-letters): ${error}`);
    }
  }

  /** In the background: the outcome lands on the dead letter (resolved, or dead again). */
  async retry(letter: DeadLetter): Promise<void> {
    const run = (async () => {
      const error = await this.runWithAttempts(letter.queue, letter.data);
      if (error === null) await this.deadLetters.markResolved([letter.id]);
      else await this.deadLetters.record([{ id: letter.id, queue: letter.queue, data: letter.data, lastError: error, attempts: ATTEMPTS, failedAt: new Date() }]);
    })().catch((err: Error) => this.logger.error(`retrying dead letter ${letter.id}: ${err.message}`));
    this.retries.add(run);
    void run.finally(() => this.retries.delete(run));
  }

  /** null when a run completed; else the last error's message. */
  private async runWithAttempts(queue: PlannedJob['queue'], data: PlannedJob['data']): Promise<string | null> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.runner.run(queue, data);
        this.completed++;
        return null;
      } catch (err) {
        if (attempt >= ATTEMPTS) return (err as Error)?.message ?? String(err);
        await new Promise((r) => setTimeout(r, this.backoffMs * 2 ** attempt));
      }
    }
  }

  async close(): Promise<void> {
    await Promise.all([...this.retries]);
  }
}
