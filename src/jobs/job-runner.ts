import type { JobData, JobOutcome, QueueName } from '../verification/job-kinds';

/**
 * What runs one job: the BullMQ workers and the in-process sink call it, and only move work.
 * The app's assembly provides it under JOB_RUNNER: the verification handlers, wrapped there with
 * this process's job logs and metrics.
 */
export interface JobRunner {
  run(queue: QueueName, data: JobData): Promise<JobOutcome>;
}

export const JOB_RUNNER = Symbol('JOB_RUNNER');
