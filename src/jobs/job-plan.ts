import type { StoredEvent } from '../domain/events';

/** BullMQ queue names (README lists them): one per kind of verification work. */
export const QueueNames = {
  attach: 'evidence-attach',
  matchReport: 'report-match',
  matchPledge: 'pledge-match',
  detach: 'evidence-detach',
} as const;
export type QueueName = (typeof QueueNames)[keyof typeof QueueNames];
export const QUEUE_NAMES: readonly QueueName[] = Object.values(QueueNames);

export interface JobData {
  /** The ledger position of the event that caused this job. */
  position: number;
  correlationId: string;
  evidenceId?: string;
  claimId?: string;
}

export interface PlannedJob {
  queue: QueueName;
  /** Deterministic (`<queue>_<hash12>_<position>`): a restart or a second dispatcher adds the same job, which BullMQ ignores. */
  jobId: string;
  data: JobData;
}

const idFrom = (streamId: string): string => streamId.slice(streamId.indexOf('-') + 1);

/** Which jobs one logged event calls for. Pure: the log alone decides the work. */
export function planJobs(event: StoredEvent): PlannedJob[] {
  const base = { position: event.position, correlationId: event.metadata.correlationId };
  const job = (queue: QueueName, data: Partial<JobData>): PlannedJob => ({
    queue,
    // The event's hash names the ledger too: a new or restored database behind a reused Redis
    // prefix never collides with jobs BullMQ still remembers from another log.
    jobId: `${queue}_${event.hash.slice(0, 12)}_${event.position}`,
    data: { ...base, ...data },
  });
  switch (event.type) {
    case 'EvidenceSubmitted': {
      const claimId = (event.data as { claimId: string | null }).claimId;
      const evidenceId = idFrom(event.streamId);
      return claimId ? [job(QueueNames.attach, { evidenceId, claimId })] : [job(QueueNames.matchReport, { evidenceId })];
    }
    case 'ClaimRecorded': {
      const d = event.data as { kind: string; scope: unknown };
      return d.kind === 'pledge' && d.scope ? [job(QueueNames.matchPledge, { claimId: idFrom(event.streamId) })] : [];
    }
    case 'EvidenceRetracted':
      return [job(QueueNames.detach, { evidenceId: idFrom(event.streamId) })];
    default:
      return [];
  }
}
