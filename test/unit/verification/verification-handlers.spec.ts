import { foldClaim } from '../../../src/domain/claim.decider';
import { QueueNames, type QueueName } from '../../../src/verification/job-kinds';
import { VerificationHandlers } from '../../../src/verification/verification-handlers';
import { E1, E2, PLEDGE, checked, job, pledge, report } from './support/fixtures';
import { InMemoryLedger, recordingSleep } from './support/in-memory-ledger';

/** The queue → handler map the job runner calls: one pledge's life through all four queues. */
describe('VerificationHandlers', () => {
  it('refuses a queue it has no handler for', async () => {
    const handlers = new VerificationHandlers(new InMemoryLedger().ports());
    await expect(handlers.run('no-such-queue' as QueueName, job({}))).rejects.toThrow('no verification handler for queue no-such-queue');
  });

  it('runs each queue’s work: match the pledge, match a report, attach a checker’s piece, detach the retracted report', async () => {
    const ledger = new InMemoryLedger();
    const handlers = new VerificationHandlers(ledger.ports(), { sleep: recordingSleep() });
    const statusOf = async () => foldClaim(await ledger.readStream(`claim-${PLEDGE}`)).status;

    ledger.recordClaim(PLEDGE, pledge());
    expect(await handlers.run(QueueNames.matchPledge, job({ claimId: PLEDGE }))).toEqual({ appended: 0, detail: 'matched 0 of 0 reports' });

    ledger.submitEvidence(E1, report());
    expect(await handlers.run(QueueNames.matchReport, job({ evidenceId: E1 }))).toEqual({ appended: 2, detail: 'matched 1 of 1 candidate pledges' });
    expect(await statusOf()).toBe('contradicted');

    ledger.submitEvidence(E2, checked(PLEDGE, { stance: 'supports', source: { url: 'https://example.net/x' } }));
    expect(await handlers.run(QueueNames.attach, job({ evidenceId: E2, claimId: PLEDGE }))).toEqual({ appended: 2, detail: 'attached' });
    expect(await statusOf()).toBe('disputed');

    ledger.retract(E1);
    expect(await handlers.run(QueueNames.detach, job({ evidenceId: E1 }))).toEqual({ appended: 2, detail: 'detached from 1 claim(s)' });
    expect(await statusOf()).toBe('supported');

    expect(ledger.typesOf(PLEDGE)).toEqual([
      'ClaimRecorded',
      'EvidenceAttached',
      'VerificationStatusChanged',
      'EvidenceAttached',
      'VerificationStatusChanged',
      'EvidenceDetached',
      'VerificationStatusChanged',
    ]);
  });
});
