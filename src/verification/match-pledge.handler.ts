import { matchReportToScope, stanceForExpectation } from '../domain/matching';
import { evidenceStreamId } from '../domain/events';
import type { JobData, JobOutcome } from './job-kinds';
import type { VerificationPorts } from './ports';
import { WorkflowHandler, evidenceFrom, matchRuleOf } from './workflow';

/** Pieces attached per append (a pledge may match thousands of reports). */
export const ATTACH_CHUNK = 200;

/**
 * Queue pledge-match: a new pledge; attach the reports already in the ledger that its scope
 * matches. Candidates come from the report index; the reports' own streams are read together
 * (their version, a retraction since the list was read, their facts as of that version), and the
 * matches are attached in chunks, one append each (see VerificationWorkflow.attachMany).
 */
export class MatchPledgeHandler extends WorkflowHandler<Pick<VerificationPorts, 'scopes' | 'streams' | 'evidence' | 'appender'>> {
  async handle(data: JobData): Promise<JobOutcome> {
    const scope = await this.ports.scopes.of(data.claimId!);
    if (!scope) return { appended: 0, detail: 'no scope' };
    // Candidates from the index over report places and times; the rule decides on each.
    const reports = await this.ports.evidence.candidateReports(scope);
    const inScope = reports.filter((r) => matchReportToScope(scope, r.data));
    const stance = stanceForExpectation(scope.expectation);
    let appended = 0;
    for (let i = 0; i < inScope.length; i += ATTACH_CHUNK) {
      const chunk = inScope.slice(i, i + ATTACH_CHUNK);
      const streams = await this.ports.streams.readStreams(chunk.map((r) => evidenceStreamId(r.evidenceId)));
      const pieces = [];
      for (const r of chunk) {
        const evidence = evidenceFrom(r.evidenceId, streams.get(evidenceStreamId(r.evidenceId))!);
        if (evidence.retracted) continue;
        const m = matchReportToScope(scope, evidence.data);
        if (!m) continue;
        pieces.push({ evidenceId: r.evidenceId, version: evidence.version, evidence: evidence.data, stance, rule: matchRuleOf(m, evidence.data) });
      }
      appended += await this.workflow.attachMany(data, data.claimId!, pieces);
    }
    return { appended, detail: `matched ${inScope.length} of ${reports.length} reports` };
  }
}
