import { decideClaim, foldClaim, type ClaimCommand } from '../domain/claim.decider';
import { claimStreamId } from '../domain/events';
import type { JobData, JobOutcome } from './job-kinds';
import type { VerificationPorts } from './ports';
import { WorkflowHandler, type WorkflowOptions } from './workflow';

/** The time source of scheduled work; tests pass one they move instead of sleeping. */
export type Now = () => Date;

/**
 * Queue window-close (verdict-v2): a pledge's scope window has reached `until`. Appends
 * ScopeWindowClosed, and the status verdict-v2 then gives, in one append with the expected
 * version: run twice, or by two processes at once, it appends once (the loser reads again and the
 * decider finds the window closed). Before `until` (a clock behind the scheduler's) it does nothing.
 */
export class CloseWindowHandler extends WorkflowHandler<Pick<VerificationPorts, 'streams' | 'evidence' | 'appender'>> {
  constructor(
    ports: Pick<VerificationPorts, 'streams' | 'evidence' | 'appender'>,
    options: WorkflowOptions = {},
    private readonly now: Now = () => new Date(),
  ) {
    super(ports, options);
  }

  async handle(data: JobData): Promise<JobOutcome> {
    const claimId = data.claimId!;
    let detail = 'closed';
    const appended = await this.workflow.withRetries(async () => {
      const events = await this.ports.streams.readStream(claimStreamId(claimId));
      const state = foldClaim(events);
      const until = state.claim?.scope?.until;
      if (!state.exists || state.claim?.kind !== 'pledge' || !until) {
        detail = 'no window';
        return 0;
      }
      if (state.windowClosed) {
        detail = 'closed already';
        return 0;
      }
      const now = this.now();
      if (now.getTime() < Date.parse(until)) {
        detail = `open until ${until}`;
        return 0;
      }
      const facts = await this.workflow.facts(Object.keys(state.attached));
      const command: ClaimCommand = { type: 'CloseScopeWindow', at: new Date(until).toISOString(), now: now.toISOString(), facts };
      return this.workflow.appendDecided(claimId, events.length, decideClaim(command, state), data);
    });
    return { appended, detail };
  }
}
