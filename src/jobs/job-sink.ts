import type { PlannedJob } from './job-plan';

/** Where the dispatcher hands planned jobs: BullMQ queues, or the in-process runner. */
export interface JobSink {
  readonly mode: 'bullmq' | 'inline';
  /** Resolves only once the jobs are durably accepted (or, inline, done); throws otherwise. */
  deliver(jobs: PlannedJob[]): Promise<void>;
  close(): Promise<void>;
}
