import type { EvidenceRevisedData, EvidenceSubmittedData } from '../../../src/domain/events';
import type { Scope } from '../../../src/domain/types';
import { RematchRevisedHandler } from '../../../src/verification/rematch-revised.handler';
import { MatchReportHandler } from '../../../src/verification/match-report.handler';
import { CHERNIHIV_ABSENCE, E1, OTHER_PLEDGE, PLEDGE, job, pledge, report } from './support/fixtures';
import { InMemoryLedger, recordingSleep } from './support/in-memory-ledger';

const KHARKIV_ABSENCE: Scope = { ...CHERNIHIV_ABSENCE, places: [{ name: 'Kharkiv', lat: 49.9935, lon: 36.2304 }] };
const CHERNIHIV = { lat: 51.4982, lon: 31.2893 };
const KHARKIV = { lat: 49.9935, lon: 36.2304 };

/** An imported row: a day window, an exact place in Chernihiv. */
const row = (over: Partial<EvidenceSubmittedData> = {}): EvidenceSubmittedData =>
  report({
    observedAt: '2022-03-30T00:00:00.000Z',
    observedUntil: '2022-03-31T00:00:00.000Z',
    places: [{ name: 'Chernihiv', ...CHERNIHIV, precisionKm: 0 }],
    external: { dataset: 'acled', id: 'UKR1', revision: 100 },
    ...over,
  });
const revision = (rev: number, over: Partial<EvidenceRevisedData>): EvidenceRevisedData => {
  const { claimId: _c, stance: _s, ...base } = row();
  return { ...base, ...over, external: { dataset: 'acled', id: 'UKR1', revision: rev } };
};

describe('RematchRevisedHandler (queue report-rematch)', () => {
  let ledger: InMemoryLedger;
  let rematch: RematchRevisedHandler;
  const rematchJob = job({ evidenceId: E1 });

  beforeEach(async () => {
    ledger = new InMemoryLedger();
    const sleep = recordingSleep();
    rematch = new RematchRevisedHandler(ledger.ports(), { sleep });
    ledger.recordClaim(PLEDGE, pledge(CHERNIHIV_ABSENCE));
    ledger.recordClaim(OTHER_PLEDGE, pledge(KHARKIV_ABSENCE));
    ledger.submitEvidence(E1, row());
    await new MatchReportHandler(ledger.ports(), { sleep }).handle(rematchJob);
    expect(ledger.typesOf(PLEDGE)).toEqual(['ClaimRecorded', 'EvidenceAttached', 'VerificationStatusChanged']);
  });

  it('a revision that moves the event elsewhere: detached (revised) where it no longer matches, attached where it newly does, statuses recomputed', async () => {
    ledger.revise(E1, revision(200, { places: [{ name: 'Kharkiv', ...KHARKIV, precisionKm: 0 }] }));

    expect(await rematch.handle(rematchJob)).toEqual({ appended: 4, detail: 'revision matches 1 pledge(s): detached from 1, attached to 1' });
    expect(ledger.appendedTo(PLEDGE).slice(-2)).toEqual([
      { type: 'EvidenceDetached', data: { evidenceId: E1, reason: 'revised' } },
      { type: 'VerificationStatusChanged', data: { from: 'contradicted', to: 'unverified', support: 0, contradict: 0, basis: [], rule: 'verdict-v1' } },
    ]);
    expect(ledger.appendedTo(OTHER_PLEDGE)).toEqual([
      {
        type: 'EvidenceAttached',
        data: { evidenceId: E1, stance: 'contradicts', attachedBy: 'matcher', rule: { name: 'matching-v2', place: 'Kharkiv', indicator: 'shelling', by: 'name' } },
      },
      { type: 'VerificationStatusChanged', data: { from: 'unverified', to: 'contradicted', support: 0, contradict: 1, basis: [E1], rule: 'verdict-v1' } },
    ]);
    // Every append is held to the revised stream's version (2).
    expect(ledger.requests.slice(-2).map((r) => r.preconditions)).toEqual([
      [{ streamId: `evidence-${E1}`, expectedVersion: 2 }],
      [{ streamId: `evidence-${E1}`, expectedVersion: 2 }],
    ]);
  });

  it('a later revision that matches again attaches the report again (a revised detach is not final)', async () => {
    ledger.revise(E1, revision(200, { places: [{ name: 'Kharkiv', ...KHARKIV, precisionKm: 0 }] }));
    await rematch.handle(rematchJob);
    ledger.revise(E1, revision(300, {}));
    await rematch.handle(rematchJob);
    expect(ledger.typesOf(PLEDGE).slice(-2)).toEqual(['EvidenceAttached', 'VerificationStatusChanged']);
    expect(ledger.typesOf(OTHER_PLEDGE).slice(-2)).toEqual(['EvidenceDetached', 'VerificationStatusChanged']);
  });

  it('a revision that still matches changes nothing; redelivery appends nothing', async () => {
    ledger.revise(E1, revision(200, { summary: 'Shelling in Chernihiv (casualties corrected)' }));
    expect(await rematch.handle(rematchJob)).toEqual({ appended: 0, detail: 'revision matches 1 pledge(s): detached from 0, attached to 0' });
    ledger.revise(E1, revision(300, { observedAt: '2022-03-20T00:00:00.000Z', observedUntil: '2022-04-20T00:00:00.000Z' }));
    // A month-long window straddles the scope's start: it only might lie in the scope → detached.
    expect((await rematch.handle(rematchJob)).appended).toBe(2);
    expect(await rematch.handle(rematchJob)).toEqual({ appended: 0, detail: 'revision matches 0 pledge(s): detached from 0, attached to 0' });
  });

  it('a job for an older revision does not act once a newer one is in the log', async () => {
    ledger.revise(E1, revision(200, { places: [{ name: 'Kharkiv', ...KHARKIV, precisionKm: 0 }] }));
    // Another revision lands between this job's read and its first append.
    ledger.rival = (_req, asked) => {
      if (asked === ledger.requests.length - 1 && ledger.version(`evidence-${E1}`) === 2) ledger.revise(E1, revision(300, {}));
    };
    expect((await rematch.handle(rematchJob)).appended).toBe(0);
    expect(ledger.typesOf(PLEDGE)).toEqual(['ClaimRecorded', 'EvidenceAttached', 'VerificationStatusChanged']);
  });

  it('a retracted report is left to the detach job', async () => {
    ledger.retract(E1, 'deleted from acled');
    expect(await rematch.handle(rematchJob)).toEqual({ appended: 0, detail: 'retracted' });
  });
});
