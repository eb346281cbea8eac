import { MatchPledgeHandler } from '../../../src/verification/match-pledge.handler';
import { CLAIM, E1, E2, E3, PLEDGE, checked, claim, job, pledge, report } from './support/fixtures';
import { InMemoryLedger, recordingSleep } from './support/in-memory-ledger';

const CHECKED = '44444444-4444-4444-8444-444444444444';

/** Queue pledge-match: a new pledge, matched against the reports already in the ledger. */
describe('MatchPledgeHandler', () => {
  let ledger: InMemoryLedger;
  let handler: MatchPledgeHandler;
  const matchJob = job({ claimId: PLEDGE });

  beforeEach(() => {
    ledger = new InMemoryLedger();
    handler = new MatchPledgeHandler(ledger.ports(), { sleep: recordingSleep() });
    ledger.submitEvidence(E1, report());
    ledger.submitEvidence(E2, report({ places: [{ name: 'Kharkiv' }], source: { url: 'https://example.net/kharkiv' } }));
    ledger.submitEvidence(E3, report({ indicators: ['airstrike'], reliability: 'B', credibility: 2, source: { url: 'https://example.com/c' } }));
    ledger.recordClaim(CLAIM, claim());
    // Evidence a checker sent for a claim is not a report: the matcher never looks at it.
    ledger.submitEvidence(CHECKED, checked(CLAIM, { indicators: ['shelling'], places: [{ name: 'Chernihiv' }] }));
    ledger.recordClaim(PLEDGE, pledge());
  });

  it('attaches the reports in scope, in log order, each with the rule and the status it leads to', async () => {
    expect(await handler.handle(matchJob)).toEqual({ appended: 4, detail: 'matched 2 of 3 reports' });

    expect(ledger.appendedTo(PLEDGE)).toEqual([
      {
        type: 'EvidenceAttached',
        data: { evidenceId: E1, stance: 'contradicts', attachedBy: 'matcher', rule: { name: 'scope-match-v1', place: 'Chernihiv', indicator: 'shelling', by: 'name' } },
      },
      { type: 'VerificationStatusChanged', data: { from: 'unverified', to: 'contradicted', support: 0, contradict: 1, basis: [E1], rule: 'verdict-v1' } },
      {
        type: 'EvidenceAttached',
        data: { evidenceId: E3, stance: 'contradicts', attachedBy: 'matcher', rule: { name: 'scope-match-v1', place: 'Chernihiv', indicator: 'airstrike', by: 'name' } },
      },
      // Two publishers contradicting with weight 1.64 ≥ 1.5: refuted.
      { type: 'VerificationStatusChanged', data: { from: 'contradicted', to: 'refuted', support: 0, contradict: 1.64, basis: [E1, E3], rule: 'verdict-v1' } },
    ]);
    // One append for all the matches (a status change wherever the status moves), each report's version a precondition.
    expect(ledger.requests.map((r) => [r.expectedVersion, r.preconditions, r.metadata.causationId])).toEqual([
      [1, [{ streamId: `evidence-${E1}`, expectedVersion: 1 }, { streamId: `evidence-${E3}`, expectedVersion: 1 }], '42'],
    ]);
  });

  it('a report retracted between the read and the append: the shared append is refused, and each is attached on its own', async () => {
    ledger.rival = (_req, asked) => {
      if (asked === 0) ledger.retract(E3); // lands just before the first append's checks
    };
    expect((await handler.handle(matchJob)).appended).toBe(2);
    expect(ledger.appendedTo(PLEDGE).map((e) => e.type)).toEqual(['EvidenceAttached', 'VerificationStatusChanged']);
    expect(ledger.refused).toBeGreaterThanOrEqual(1);
    expect(ledger.typesOf(PLEDGE).filter((t) => t === 'EvidenceAttached')).toHaveLength(1);
  });

  it('skips retracted reports: those the read model lists as retracted, and one retracted after the list was read', async () => {
    ledger.retract(E1);
    const ports = ledger.ports();
    const racing = new MatchPledgeHandler({
      ...ports,
      evidence: {
        ...ports.evidence,
        candidateReports: async (scope) => {
          const reports = await ports.evidence.candidateReports(scope);
          ledger.retract(E3); // between the read model's list and the report's own stream
          return reports;
        },
      },
    });

    expect(await racing.handle(matchJob)).toEqual({ appended: 0, detail: 'matched 1 of 2 reports' });
    expect(ledger.requests).toEqual([]);
    expect(ledger.typesOf(PLEDGE)).toEqual(['ClaimRecorded']);
  });

  it('redelivery appends nothing', async () => {
    await handler.handle(matchJob);
    const before = ledger.events.length;

    expect(await handler.handle(matchJob)).toEqual({ appended: 0, detail: 'matched 2 of 3 reports' });
    expect(ledger.events).toHaveLength(before);
  });

  it('a report attached meanwhile by its own report-match job is not attached again', async () => {
    ledger.attachAsAnotherWorker(PLEDGE, E1, 'contradicts', 'matcher');

    expect(await handler.handle(matchJob)).toEqual({ appended: 2, detail: 'matched 2 of 3 reports' });
    expect(ledger.appendedTo(PLEDGE).map((e) => e.type === 'EvidenceAttached' && e.data.evidenceId)).toEqual([E3, false]);
  });

  it('a claim without scope matches nothing', async () => {
    expect(await handler.handle(job({ claimId: CLAIM }))).toEqual({ appended: 0, detail: 'no scope' });
    expect(ledger.requests).toEqual([]);
  });
});
