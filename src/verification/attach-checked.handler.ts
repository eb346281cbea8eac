import { claimStreamId, evidenceStreamId } from '../domain/events';
import type { JobData, JobOutcome } from './job-kinds';
import type { VerificationPorts } from './ports';
import { WorkflowHandler, evidenceFrom } from './workflow';

/**
 * Queue evidence-attach: evidence a checker sent for one claim, with their stance. Both streams
 * are read in one query (one snapshot); the piece's own facts, and the claim it belongs to, come
 * from its EvidenceSubmitted, as its read-model row does.
 */
export class AttachCheckedHandler extends WorkflowHandler<Pick<VerificationPorts, 'streams' | 'evidence' | 'appender'>> {
  async handle(data: JobData): Promise<JobOutcome> {
    const evidenceStream = evidenceStreamId(data.evidenceId!);
    const claimStream = claimStreamId(data.claimId!);
    const streams = await this.ports.streams.readStreams([evidenceStream, claimStream]);
    const evidence = evidenceFrom(data.evidenceId!, streams.get(evidenceStream)!);
    // A job's data is not trusted (anyone who can write to Redis can add one): the evidence must be
    // the named claim's own, as its EvidenceSubmitted says. A forged job is dropped, not retried.
    if (evidence.data.claimId !== data.claimId) {
      const dropped = `evidence ${data.evidenceId} was submitted for ${evidence.data.claimId ? `claim ${evidence.data.claimId}` : 'no claim'}, not claim ${data.claimId}`;
      return { appended: 0, detail: 'dropped: the job does not match the ledger', dropped };
    }
    if (!evidence.data.stance) throw new Error(`evidence ${data.evidenceId} has no stance`);
    if (evidence.retracted) return { appended: 0, detail: 'already attached or retracted' };
    const appended = await this.workflow.attach(data, data.claimId!, evidence.version, evidence.data.stance, 'checker', undefined, {
      claimEvents: streams.get(claimStream)!,
      evidence: evidence.data,
    });
    return { appended, detail: appended ? 'attached' : 'already attached or retracted' };
  }
}
