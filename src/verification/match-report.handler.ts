import { matchReportToScope, stanceForExpectation } from '../domain/matching';
import type { JobData, JobOutcome } from './job-kinds';
import type { VerificationPorts } from './ports';
import { WorkflowHandler, matchRuleOf } from './workflow';

/** Queue report-match: a field report; attach it to every pledge whose scope it matches. */
export class MatchReportHandler extends WorkflowHandler<Pick<VerificationPorts, 'scopes' | 'streams' | 'evidence' | 'appender'>> {
  async handle(data: JobData): Promise<JobOutcome> {
    const evidence = await this.workflow.loadEvidence(data.evidenceId!);
    if (evidence.retracted) return { appended: 0, detail: 'retracted' };
    // Candidates from the index over scope windows and place keys; the rule decides on each.
    const pledges = await this.ports.scopes.candidatesFor(evidence.data);
    let appended = 0;
    let matched = 0;
    for (const { claimId, scope } of pledges) {
      const m = matchReportToScope(scope, evidence.data);
      if (!m) continue;
      matched++;
      appended += await this.workflow.attach(data, claimId, evidence.version, stanceForExpectation(scope.expectation), 'matcher', matchRuleOf(m, evidence.data));
    }
    return { appended, detail: `matched ${matched} of ${pledges.length} candidate pledges` };
  }
}
