import { idFromStream, type StoredEvent } from '../domain/events';
import { QueueNames, type JobData, type QueueName } from '../verification/job-kinds';

// The kinds of work are verification's (src/verification/job-kinds.ts); planning and moving them is ours.
export { QUEUE_NAMES, QueueNames, type JobData, type JobOutcome, type QueueName } from '../verification/job-kinds';

export interface PlannedJob {
  queue: QueueName;
  /** Deterministic (`<queue>_<hash12>_<position>`): a restart or a second dispatcher adds the same job, which BullMQ ignores. */
  jobId: string;
  data: JobData;
}

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
      const { claimId } = event.data;
      const evidenceId = idFromStream(event.streamId);
      return claimId ? [job(QueueNames.attach, { evidenceId, claimId })] : [job(QueueNames.matchReport, { evidenceId })];
    }
    case 'ClaimRecorded':
      return event.data.kind === 'pledge' && event.data.scope ? [job(QueueNames.matchPledge, { claimId: idFromStream(event.streamId) })] : [];
    case 'EvidenceRetracted':
      return [job(QueueNames.detach, { evidenceId: idFromStream(event.streamId) })];
    case 'EvidenceRevised':
      return [job(QueueNames.rematch, { evidenceId: idFromStream(event.streamId) })];
    default:
      return [];
  }
}
