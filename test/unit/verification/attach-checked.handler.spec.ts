import { ConcurrencyError } from '../../../src/domain/errors';
import { AttachCheckedHandler } from '../../../src/verification/attach-checked.handler';
import { MAX_CONFLICT_RETRIES } from '../../../src/verification/workflow';
import { CLAIM, E1, E2, E3, checked, claim, job } from './support/fixtures';
import { InMemoryLedger, recordingSleep } from './support/in-memory-ledger';

/** Queue evidence-attach: a checker's piece for one claim, with their stance. */
describe('AttachCheckedHandler', () => {
  let ledger: InMemoryLedger;
  let sleep: ReturnType<typeof recordingSleep>;
  let handler: AttachCheckedHandler;
  const attachJob = job({ evidenceId: E1, claimId: CLAIM });

  beforeEach(() => {
    ledger = new InMemoryLedger();
    sleep = recordingSleep();
    handler = new AttachCheckedHandler(ledger.ports(), { sleep });
    ledger.recordClaim(CLAIM, claim());
    ledger.submitEvidence(E1, checked(CLAIM));
  });

  it('first delivery: attaches with the checker’s stance and records the new status, in one append held to both streams’ versions', async () => {
    expect(await handler.handle(attachJob)).toEqual({ appended: 2, detail: 'attached' });

    expect(ledger.appendedTo(CLAIM)).toEqual([
      { type: 'EvidenceAttached', data: { evidenceId: E1, stance: 'contradicts', attachedBy: 'checker' } },
      {
        type: 'VerificationStatusChanged',
        data: { from: 'unverified', to: 'contradicted', support: 0, contradict: 1, basis: [E1], rule: 'verdict-v1' },
      },
    ]);
    expect(ledger.requests).toHaveLength(1);
    expect(ledger.requests[0]).toMatchObject({
      streamId: `claim-${CLAIM}`,
      expectedVersion: 1,
      preconditions: [{ streamId: `evidence-${E1}`, expectedVersion: 1 }],
      metadata: { actor: { kind: 'system', name: 'verification-worker' }, correlationId: 'req-42', causationId: '42' },
    });
    expect(sleep.waits).toEqual([]);
  });

  it('weighs the pieces already attached: a supporting piece next to a contradicting one makes the claim disputed', async () => {
    ledger.submitEvidence(E2, checked(CLAIM, { stance: 'supports', source: { url: 'https://example.net/x' } }));
    ledger.attachAsAnotherWorker(CLAIM, E2, 'supports');

    expect(await handler.handle(attachJob)).toEqual({ appended: 2, detail: 'attached' });
    expect(ledger.appendedTo(CLAIM)).toEqual([
      { type: 'EvidenceAttached', data: { evidenceId: E1, stance: 'contradicts', attachedBy: 'checker' } },
      {
        type: 'VerificationStatusChanged',
        data: { from: 'supported', to: 'disputed', support: 1, contradict: 1, basis: [E1, E2], rule: 'verdict-v1' },
      },
    ]);
    expect(ledger.requests[0].expectedVersion).toBe(3);
  });

  it('redelivery appends nothing: the piece is attached at most once', async () => {
    await handler.handle(attachJob);
    const before = ledger.events.length;

    expect(await handler.handle(attachJob)).toEqual({ appended: 0, detail: 'already attached or retracted' });
    expect(ledger.events).toHaveLength(before);
    expect(ledger.requests).toHaveLength(1); // the second run decided nothing, so asked for nothing
  });

  it('two deliveries at once: exactly one of them attaches, the other loses the race, reads again and appends nothing', async () => {
    const outcomes = await Promise.all([handler.handle(attachJob), handler.handle(attachJob)]);

    expect(outcomes.map((o) => o.appended).sort()).toEqual([0, 2]);
    expect(ledger.typesOf(CLAIM)).toEqual(['ClaimRecorded', 'EvidenceAttached', 'VerificationStatusChanged']);
    expect(ledger.refused).toBe(1);
  });

  it('retracted before the job ran: attaches nothing and asks for no append', async () => {
    ledger.retract(E1);

    expect(await handler.handle(attachJob)).toEqual({ appended: 0, detail: 'already attached or retracted' });
    expect(ledger.typesOf(CLAIM)).toEqual(['ClaimRecorded']);
    expect(ledger.requests).toEqual([]);
  });

  it('a retraction racing the attach: the evidence-stream precondition refuses the append, and the retry sees the retraction and attaches nothing', async () => {
    ledger.rival = (_request, asked) => {
      if (asked === 0) ledger.retract(E1);
    };

    expect(await handler.handle(attachJob)).toEqual({ appended: 0, detail: 'already attached or retracted' });
    expect(ledger.refused).toBe(1);
    expect(ledger.requests).toHaveLength(1);
    expect(ledger.typesOf(CLAIM)).toEqual(['ClaimRecorded']);
    expect((await ledger.readStream(`evidence-${E1}`)).map((e) => e.type)).toEqual(['EvidenceSubmitted', 'EvidenceRetracted']);
    expect(sleep.waits).toHaveLength(1);
  });

  it('conflicts on the claim stream: reads again, decides again over what the other writers attached, then succeeds', async () => {
    ledger.submitEvidence(E2, checked(CLAIM, { stance: 'supports', source: { url: 'https://example.net/x' } }));
    ledger.submitEvidence(E3, checked(CLAIM, { stance: 'supports', reliability: 'B', credibility: 2, source: { url: 'https://example.com/y' } }));
    // Another worker attaches a piece to the same claim just before each of our first two appends.
    ledger.rival = (_request, asked) => {
      if (asked === 0) ledger.attachAsAnotherWorker(CLAIM, E2, 'supports');
      if (asked === 1) ledger.attachAsAnotherWorker(CLAIM, E3, 'supports');
    };

    expect(await handler.handle(attachJob)).toEqual({ appended: 2, detail: 'attached' });

    expect(ledger.refused).toBe(2);
    expect(ledger.requests.map((r) => r.expectedVersion)).toEqual([1, 3, 5]);
    // The evidence stream did not move: every attempt holds it to version 1.
    expect(ledger.requests.map((r) => r.preconditions)).toEqual([1, 2, 3].map(() => [{ streamId: `evidence-${E1}`, expectedVersion: 1 }]));
    expect(ledger.appendedTo(CLAIM)).toEqual([
      { type: 'EvidenceAttached', data: { evidenceId: E1, stance: 'contradicts', attachedBy: 'checker' } },
      {
        type: 'VerificationStatusChanged',
        data: { from: 'confirmed', to: 'disputed', support: 1.64, contradict: 1, basis: [E1, E2, E3], rule: 'verdict-v1' },
      },
    ]);
    // Jittered backoff, growing with the attempt: below 5 ms, then below 10 ms.
    expect(sleep.waits).toHaveLength(2);
    expect(sleep.waits[0]).toBeGreaterThanOrEqual(0);
    expect(sleep.waits[0]).toBeLessThan(5);
    expect(sleep.waits[1]).toBeLessThan(10);
  });

  it(`gives up after ${MAX_CONFLICT_RETRIES} retries when the claim stream keeps moving, with the ConcurrencyError`, async () => {
    ledger.rival = (_request, asked) => {
      const rivalPiece = `aaaaaaaa-0000-4000-8000-${String(asked).padStart(12, '0')}`;
      ledger.submitEvidence(rivalPiece, checked(CLAIM, { stance: 'supports', source: { url: `https://rival-${asked}.example/` } }));
      ledger.attachAsAnotherWorker(CLAIM, rivalPiece, 'supports');
    };

    await expect(handler.handle(attachJob)).rejects.toBeInstanceOf(ConcurrencyError);
    expect(ledger.requests).toHaveLength(MAX_CONFLICT_RETRIES + 1);
    expect(ledger.refused).toBe(MAX_CONFLICT_RETRIES + 1);
    expect(sleep.waits).toHaveLength(MAX_CONFLICT_RETRIES);
    // The backoff is capped at 200 ms.
    expect(Math.max(...sleep.waits)).toBeLessThan(200);
    expect(ledger.appendedTo(CLAIM)).toEqual([]);
  });

  it('does not retry other errors: a claim that does not exist fails the job', async () => {
    const missing = '99999999-9999-4999-8999-999999999999';
    ledger.submitEvidence(E2, checked(missing));

    await expect(handler.handle(job({ evidenceId: E2, claimId: missing }))).rejects.toThrow(`claim ${missing} does not exist`);
    expect(sleep.waits).toEqual([]);
  });

  it('refuses evidence without a stance (a report is matched, not attached by a checker)', async () => {
    ledger.submitEvidence(E2, checked(CLAIM, { stance: undefined }));

    await expect(handler.handle(job({ evidenceId: E2, claimId: CLAIM }))).rejects.toThrow(`evidence ${E2} has no stance`);
  });

  it('a forged job (evidence of another claim) is dropped: no append, no retry, and the outcome says why', async () => {
    const other = '99999999-9999-4999-8999-999999999999';
    ledger.recordClaim(other, claim({ statement: 'Another claim' }));

    // E1 was submitted for CLAIM; a job naming `other` is not the ledger's.
    const outcome = await handler.handle(job({ evidenceId: E1, claimId: other }));
    expect(outcome).toEqual({
      appended: 0,
      detail: 'dropped: the job does not match the ledger',
      dropped: `evidence ${E1} was submitted for claim ${CLAIM}, not claim ${other}`,
    });
    expect(ledger.requests).toEqual([]);
    expect(ledger.typesOf(other)).toEqual(['ClaimRecorded']);
    expect(ledger.typesOf(CLAIM)).toEqual(['ClaimRecorded']);
  });

  it('a forged job naming a report (evidence for no claim) is dropped too', async () => {
    ledger.submitEvidence(E2, checked(CLAIM, { claimId: null }));

    const outcome = await handler.handle(job({ evidenceId: E2, claimId: CLAIM }));
    expect(outcome).toMatchObject({ appended: 0, dropped: `evidence ${E2} was submitted for no claim, not claim ${CLAIM}` });
    expect(ledger.requests).toEqual([]);
  });

  it('evidence not in the ledger fails the job', async () => {
    await expect(handler.handle(job({ evidenceId: E3, claimId: CLAIM }))).rejects.toThrow(`evidence ${E3} is not in the ledger`);
  });

  it('JOB_PAUSE_BEFORE_APPEND_MS: pauses before the append (the crash tests’ window), and only when there is something to append', async () => {
    const paused = new AttachCheckedHandler(ledger.ports(), { sleep, pauseBeforeAppendMs: 1500 });

    await paused.handle(attachJob);
    expect(sleep.waits).toEqual([1500]);
    await paused.handle(attachJob);
    expect(sleep.waits).toEqual([1500]);
  });
});
