import { matchReportToScope, stanceForExpectation, type ScopeMatch } from '../domain/matching';
import type { JobData, JobOutcome } from './job-kinds';
import type { VerificationPorts } from './ports';
import { WorkflowHandler, matchRuleOf } from './workflow';

/**
 * Queue report-rematch (import v1): an imported report has a new revision (EvidenceRevised).
 * Its latest facts are matched again: it is detached (reason `revised`) from the pledges it no
 * longer matches and attached to those it newly matches; each append recomputes the claim's
 * status. Every append holds the evidence stream to the version read here, so a job for an older
 * revision never acts on facts that have moved on (the newer revision's job does).
 */
export class RematchRevisedHandler extends WorkflowHandler<Pick<VerificationPorts, 'scopes' | 'streams' | 'evidence' | 'appender'>> {
  async handle(data: JobData): Promise<JobOutcome> {
    const evidenceId = data.evidenceId!;
    const evidence = await this.workflow.loadEvidence(evidenceId);
    if (evidence.retracted) return { appended: 0, detail: 'retracted' };
    if (evidence.data.claimId) return { appended: 0, detail: 'evidence for one claim is not matched' };

    const matches = new Map<string, { match: ScopeMatch; expectation: 'absence' | 'presence' }>();
    for (const { claimId, scope } of await this.ports.scopes.candidatesFor(evidence.data)) {
      const m = matchReportToScope(scope, evidence.data);
      if (m) matches.set(claimId, { match: m, expectation: scope.expectation });
    }
    const attached = await this.ports.evidence.claimsAttachedTo(evidenceId);

    let appended = 0;
    let detached = 0;
    for (const claimId of attached) {
      if (matches.has(claimId)) continue;
      const n = await this.workflow.detachRevised(data, claimId, evidence.version);
      if (n > 0) detached++;
      appended += n;
    }
    let newlyAttached = 0;
    for (const [claimId, { match, expectation }] of matches) {
      if (attached.includes(claimId)) continue;
      const n = await this.workflow.attach(data, claimId, evidence.version, stanceForExpectation(expectation), 'matcher', matchRuleOf(match, evidence.data));
      if (n > 0) newlyAttached++;
      appended += n;
    }
    return { appended, detail: `revision matches ${matches.size} pledge(s): detached from ${detached}, attached to ${newlyAttached}` };
  }
}
