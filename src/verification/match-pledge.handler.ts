import { matchReportToScope, stanceForExpectation } from '../domain/matching';
import type { JobData, JobOutcome } from './job-kinds';
import type { VerificationPorts } from './ports';
import { WorkflowHandler, matchRuleOf } from './workflow';

/** Queue pledge-match: a new pledge; attach the reports already in the ledger that its scope matches. */
export class MatchPledgeHandler extends WorkflowHandler<Pick<VerificationPorts, 'scopes' | 'streams' | 'evidence' | 'appender'>> {
  async handle(data: JobData): Promise<JobOutcome> {
    const scope = await this.ports.scopes.of(data.claimId!);
    if (!scope) return { appended: 0, detail: 'no scope' };
    const reports = await this.ports.evidence.reports();
    let appended = 0;
    let matched = 0;
    for (const report of reports) {
      const m = matchReportToScope(scope, report.data);
      if (!m) continue;
      matched++;
      // The piece's own stream: the version the attach holds it to, and a retraction since the list was read.
      const evidence = await this.workflow.loadEvidence(report.evidenceId);
      if (evidence.retracted) continue;
      appended += await this.workflow.attach(
        { ...data, evidenceId: report.evidenceId },
        data.claimId!,
        evidence.version,
        stanceForExpectation(scope.expectation),
        'matcher',
        matchRuleOf(m),
      );
    }
    return { appended, detail: `matched ${matched} of ${reports.length} reports` };
  }
}
