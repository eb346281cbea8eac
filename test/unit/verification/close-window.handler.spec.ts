import { CloseWindowHandler } from '../../../src/verification/close-window.handler';
import { CHERNIHIV_ABSENCE, CLAIM, E1, PLEDGE, claim, job, pledge, report } from './support/fixtures';
import { InMemoryLedger, recordingSleep } from './support/in-memory-ledger';

/** Queue window-close (verdict-v2): ScopeWindowClosed once `until` has passed, exactly once. */
describe('CloseWindowHandler', () => {
  const UNTIL = '2022-04-30T00:00:00Z';
  let ledger: InMemoryLedger;
  let now: Date;
  let handler: CloseWindowHandler;

  beforeEach(() => {
    ledger = new InMemoryLedger();
    now = new Date('2022-04-29T00:00:00Z');
    handler = new CloseWindowHandler(ledger.ports(), { sleep: recordingSleep() }, () => now);
    ledger.recordClaim(PLEDGE, pledge({ ...CHERNIHIV_ABSENCE, until: UNTIL }));
  });

  it('does nothing while the window is open, closes it once the clock passes until, then never again', async () => {
    expect(await handler.handle(job({ claimId: PLEDGE }))).toEqual({ appended: 0, detail: `open until ${UNTIL}` });
    now = new Date('2022-04-30T00:00:00Z');
    expect(await handler.handle(job({ claimId: PLEDGE }))).toEqual({ appended: 2, detail: 'closed' });
    expect(ledger.typesOf(PLEDGE)).toEqual(['ClaimRecorded', 'ScopeWindowClosed', 'VerificationStatusChanged']);
    expect(ledger.appendedTo(PLEDGE)[1]).toEqual({
      type: 'VerificationStatusChanged',
      data: { from: 'unverified', to: 'supported', support: 0, contradict: 0, basis: [], rule: 'verdict-v2', reason: 'window-closed-without-contrary-reports' },
    });
    expect(await handler.handle(job({ claimId: PLEDGE }))).toEqual({ appended: 0, detail: 'closed already' });
  });

  it('records the weights of what is attached, keeping the status when evidence decides it', async () => {
    ledger.submitEvidence(E1, report());
    ledger.attachAsAnotherWorker(PLEDGE, E1, 'contradicts', 'matcher');
    now = new Date('2022-05-01T00:00:00Z');
    expect(await handler.handle(job({ claimId: PLEDGE }))).toEqual({ appended: 1, detail: 'closed' });
    expect(ledger.appendedTo(PLEDGE)).toEqual([{ type: 'ScopeWindowClosed', data: { at: '2022-04-30T00:00:00.000Z', support: 0, contradict: 1 } }]);
  });

  it('losing a race to another closer reads again and appends nothing', async () => {
    now = new Date('2022-05-01T00:00:00Z');
    const rival = new CloseWindowHandler(ledger.ports(), { sleep: recordingSleep() }, () => now);
    ledger.rival = async (_req, asked) => {
      if (asked === 0) {
        ledger.rival = null;
        await rival.handle(job({ claimId: PLEDGE }));
      }
    };
    expect(await handler.handle(job({ claimId: PLEDGE }))).toEqual({ appended: 0, detail: 'closed already' });
    expect(ledger.typesOf(PLEDGE).filter((t) => t === 'ScopeWindowClosed')).toHaveLength(1);
  });

  it('a claim, or a pledge without until, has no window', async () => {
    ledger.recordClaim(CLAIM, claim());
    expect(await handler.handle(job({ claimId: CLAIM }))).toEqual({ appended: 0, detail: 'no window' });
  });
});
