import { DetachRetractedHandler } from '../../../src/verification/detach-retracted.handler';
import { CLAIM, E1, E2, E3, PLEDGE, checked, claim, job, pledge, report } from './support/fixtures';
import { InMemoryLedger, recordingSleep } from './support/in-memory-ledger';

/** Queue evidence-detach: a retraction, undone on every claim the piece is attached to. */
describe('DetachRetractedHandler', () => {
  let ledger: InMemoryLedger;
  let sleep: ReturnType<typeof recordingSleep>;
  let handler: DetachRetractedHandler;
  const detachJob = job({ evidenceId: E1 });

  beforeEach(() => {
    ledger = new InMemoryLedger();
    sleep = recordingSleep();
    handler = new DetachRetractedHandler(ledger.ports(), { sleep });
    // E1, a report, contradicts the pledge and (attached by a checker) the claim; E2 supports the claim.
    ledger.recordClaim(CLAIM, claim());
    ledger.recordClaim(PLEDGE, pledge());
    ledger.submitEvidence(E1, report());
    ledger.submitEvidence(E2, checked(CLAIM, { stance: 'supports', source: { url: 'https://example.net/x' } }));
    ledger.attachAsAnotherWorker(PLEDGE, E1, 'contradicts', 'matcher');
    ledger.attachAsAnotherWorker(CLAIM, E2, 'supports');
    ledger.attachAsAnotherWorker(CLAIM, E1, 'contradicts');
  });

  it('detaches the piece from every claim it is attached to and recomputes each status over what stays', async () => {
    ledger.retract(E1);

    expect(await handler.handle(detachJob)).toEqual({ appended: 4, detail: 'detached from 2 claim(s)' });

    expect(ledger.appendedTo(PLEDGE)).toEqual([
      { type: 'EvidenceDetached', data: { evidenceId: E1, reason: 'retracted' } },
      { type: 'VerificationStatusChanged', data: { from: 'contradicted', to: 'unverified', support: 0, contradict: 0, basis: [], rule: 'verdict-v1' } },
    ]);
    expect(ledger.appendedTo(CLAIM)).toEqual([
      { type: 'EvidenceDetached', data: { evidenceId: E1, reason: 'retracted' } },
      { type: 'VerificationStatusChanged', data: { from: 'disputed', to: 'supported', support: 1, contradict: 0, basis: [E2], rule: 'verdict-v1' } },
    ]);
    // No precondition: a detach only follows the claim stream.
    expect(ledger.requests.map((r) => [r.streamId, r.expectedVersion, r.preconditions])).toEqual([
      [`claim-${PLEDGE}`, 3, []],
      [`claim-${CLAIM}`, 5, []],
    ]);
    expect(ledger.requests[0].metadata).toEqual({ actor: { kind: 'system', name: 'verification-worker' }, correlationId: 'req-42', causationId: '42' });
  });

  it('redelivery appends nothing: the piece is attached nowhere any more', async () => {
    ledger.retract(E1);
    await handler.handle(detachJob);
    const before = ledger.events.length;

    expect(await handler.handle(detachJob)).toEqual({ appended: 0, detail: 'detached from 0 claim(s)' });
    expect(ledger.events).toHaveLength(before);
  });

  it('two deliveries at once detach once: the loser of each race reads the claim again and finds the piece gone', async () => {
    ledger.retract(E1);

    const outcomes = await Promise.all([handler.handle(detachJob), handler.handle(detachJob)]);

    expect(outcomes.reduce((n, o) => n + o.appended, 0)).toBe(4);
    expect(ledger.typesOf(CLAIM).filter((t) => t === 'EvidenceDetached')).toHaveLength(1);
    expect(ledger.typesOf(PLEDGE).filter((t) => t === 'EvidenceDetached')).toHaveLength(1);
  });

  it('a piece attached nowhere: nothing to do', async () => {
    ledger.submitEvidence(E3, report({ indicators: ['protest'] }));
    ledger.retract(E3);

    expect(await handler.handle(job({ evidenceId: E3 }))).toEqual({ appended: 0, detail: 'detached from 0 claim(s)' });
    expect(ledger.requests).toEqual([]);
  });

  it('a conflict on a claim stream: reads again and recomputes over what is attached now', async () => {
    ledger.submitEvidence(E3, checked(CLAIM, { stance: 'contradicts', reliability: 'B', credibility: 2, source: { url: 'https://example.com/c' } }));
    ledger.retract(E1);
    ledger.rival = (request) => {
      if (request.streamId === `claim-${CLAIM}` && ledger.refused === 0) ledger.attachAsAnotherWorker(CLAIM, E3, 'contradicts');
    };

    expect(await handler.handle(detachJob)).toEqual({ appended: 3, detail: 'detached from 2 claim(s)' });

    expect(ledger.refused).toBe(1);
    expect(sleep.waits).toHaveLength(1);
    expect(ledger.requests.filter((r) => r.streamId === `claim-${CLAIM}`).map((r) => r.expectedVersion)).toEqual([5, 6]); // the rival attached E3 alone (no status change)
    // Decided again over E2 (supports, 1) and the newly attached E3 (contradicts, 0.64): neither
    // side is three times the other, so the claim stays disputed (without E3 it would have become
    // supported, as in the first test) and only the detachment is appended.
    expect(ledger.appendedTo(CLAIM)).toEqual([{ type: 'EvidenceDetached', data: { evidenceId: E1, reason: 'retracted' } }]);
  });
});
