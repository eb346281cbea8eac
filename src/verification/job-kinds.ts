/**
 * The kinds of verification work, one per queue, and what each job carries. They live here,
 * with the handlers that take them; src/jobs plans and moves jobs of these kinds.
 */

/** BullMQ queue names (README lists them): one per kind of verification work. */
export const QueueNames = {
  attach: 'evidence-attach',
  matchReport: 'report-match',
  matchPledge: 'pledge-match',
  detach: 'evidence-detach',
  /** import v1: a report's new revision; detach where it no longer matches, attach where it newly does. */
  rematch: 'report-rematch',
} as const;
export type QueueName = (typeof QueueNames)[keyof typeof QueueNames];
export const QUEUE_NAMES: readonly QueueName[] = Object.values(QueueNames);

/**
 * verdict-v2: closing a pledge's window when `until` passes. Its own queue, outside QUEUE_NAMES:
 * its jobs wait (delayed) until a date, so they take no part in the dispatcher's "finished"
 * watermark; the window scheduler (src/jobs/window-scheduler.ts) plans and moves them.
 */
export const WINDOW_QUEUE = 'window-close' as const;

export interface JobData {
  /** The ledger position of the event that caused this job. */
  position: number;
  correlationId: string;
  evidenceId?: string;
  claimId?: string;
}

export interface JobOutcome {
  /** Events this run appended (0 when the work was already done: redelivery is harmless). */
  appended: number;
  detail: string;
  /**
   * Set when the job's data contradicts the ledger (e.g. evidence that belongs to another claim):
   * the job is dropped, not retried; the runner logs a warning and counts it (jobs_dropped_total).
   */
  dropped?: string;
}

/** One kind of verification work, run for one job. */
export interface JobHandler {
  handle(data: JobData): Promise<JobOutcome>;
}
