import { decideClaim, foldClaim, type ClaimCommand } from '../domain/claim.decider';
import { claimStreamId } from '../domain/events';
import type { JobData, JobOutcome } from './job-kinds';
import type { VerificationPorts } from './ports';
import { WorkflowHandler } from './workflow';

/** Queue evidence-detach: a retraction; detach the piece from every claim it is attached to, recomputing each status. */
export class DetachRetractedHandler extends WorkflowHandler<Pick<VerificationPorts, 'streams' | 'evidence' | 'appender'>> {
  async handle(data: JobData): Promise<JobOutcome> {
    const evidenceId = data.evidenceId!;
    const claims = await this.ports.evidence.claimsAttachedTo(evidenceId);
    let appended = 0;
    for (const claimId of claims) {
      appended += await this.workflow.withRetries(async () => {
        const events = await this.ports.streams.readStream(claimStreamId(claimId));
        const state = foldClaim(events);
        if (!state.attached[evidenceId]) return 0;
        const remaining = Object.keys(state.attached).filter((id) => id !== evidenceId);
        const command: ClaimCommand = { type: 'DetachEvidence', evidenceId, reason: 'retracted', facts: await this.workflow.facts(remaining) };
        return this.workflow.appendDecided(claimId, events.length, decideClaim(command, state), data);
      });
    }
    return { appended, detail: `detached from ${claims.length} claim(s)` };
  }
}
