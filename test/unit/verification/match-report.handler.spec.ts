import type { Scope } from '../../../src/domain/types';
import { MatchReportHandler } from '../../../src/verification/match-report.handler';
import { CHERNIHIV_ABSENCE, CLAIM, E1, OTHER_PLEDGE, PLEDGE, claim, job, pledge, report } from './support/fixtures';
import { InMemoryLedger, recordingSleep } from './support/in-memory-ledger';

const KHARKIV_ABSENCE: Scope = { ...CHERNIHIV_ABSENCE, places: [{ name: 'Kharkiv', lat: 49.9935, lon: 36.2304 }] };
const CHERNIHIV_PRESENCE: Scope = { ...CHERNIHIV_ABSENCE, indicators: ['shelling'], expectation: 'presence' };
const PRESENCE_PLEDGE = '3e4f5a6b-7c8d-4e9f-8a1b-2c3d4e5f6071';

/** Queue report-match: a field report, matched against every pledge's scope. */
describe('MatchReportHandler', () => {
  let ledger: InMemoryLedger;
  let sleep: ReturnType<typeof recordingSleep>;
  let handler: MatchReportHandler;
  const matchJob = job({ evidenceId: E1 });

  beforeEach(() => {
    ledger = new InMemoryLedger();
    sleep = recordingSleep();
    handler = new MatchReportHandler(ledger.ports(), { sleep });
    ledger.recordClaim(PLEDGE, pledge(CHERNIHIV_ABSENCE));
    ledger.recordClaim(OTHER_PLEDGE, pledge(KHARKIV_ABSENCE));
    ledger.recordClaim(PRESENCE_PLEDGE, pledge(CHERNIHIV_PRESENCE));
    ledger.recordClaim(CLAIM, claim()); // a plain claim: no scope, never matched
  });

  it('attaches the report to the pledges whose scope it matches only, with the stance their expectation gives and the rule that matched', async () => {
    ledger.submitEvidence(E1, report());

    expect(await handler.handle(matchJob)).toEqual({ appended: 4, detail: 'matched 2 of 2 candidate pledges' });

    const rule = { name: 'scope-match-v1', place: 'Chernihiv', indicator: 'shelling', by: 'name' };
    // "absence" pledged: a report that it happened contradicts the pledge.
    expect(ledger.appendedTo(PLEDGE)).toEqual([
      { type: 'EvidenceAttached', data: { evidenceId: E1, stance: 'contradicts', attachedBy: 'matcher', rule } },
      { type: 'VerificationStatusChanged', data: { from: 'unverified', to: 'contradicted', support: 0, contradict: 1, basis: [E1], rule: 'verdict-v1' } },
    ]);
    // "presence" pledged: the same report supports it.
    expect(ledger.appendedTo(PRESENCE_PLEDGE)).toEqual([
      { type: 'EvidenceAttached', data: { evidenceId: E1, stance: 'supports', attachedBy: 'matcher', rule } },
      { type: 'VerificationStatusChanged', data: { from: 'unverified', to: 'supported', support: 1, contradict: 0, basis: [E1], rule: 'verdict-v1' } },
    ]);
    expect(ledger.typesOf(OTHER_PLEDGE)).toEqual(['ClaimRecorded']);
    expect(ledger.typesOf(CLAIM)).toEqual(['ClaimRecorded']);
    // In log order, each held to the report's stream version.
    expect(ledger.requests.map((r) => [r.streamId, r.expectedVersion, r.preconditions])).toEqual([
      [`claim-${PLEDGE}`, 1, [{ streamId: `evidence-${E1}`, expectedVersion: 1 }]],
      [`claim-${PRESENCE_PLEDGE}`, 1, [{ streamId: `evidence-${E1}`, expectedVersion: 1 }]],
    ]);
    expect(ledger.requests[0].metadata).toEqual({ actor: { kind: 'system', name: 'verification-worker' }, correlationId: 'req-42', causationId: '42' });
  });

  it('records a match by distance with the distance, when the report names no scope place but lies within its radius', async () => {
    ledger.submitEvidence(E1, report({ places: [{ name: 'Chernihiv railway station', lat: 51.4982, lon: 31.2893 }] }));

    await handler.handle(matchJob);

    expect(ledger.appendedTo(PLEDGE)[0]).toEqual({
      type: 'EvidenceAttached',
      data: { evidenceId: E1, stance: 'contradicts', attachedBy: 'matcher', rule: { name: 'scope-match-v1', place: 'Chernihiv', indicator: 'shelling', by: 'distance', distanceKm: 0 } },
    });
  });

  it('a report matching no scope appends nothing', async () => {
    ledger.submitEvidence(E1, report({ indicators: ['protest'] }));

    expect(await handler.handle(matchJob)).toEqual({ appended: 0, detail: 'matched 0 of 2 candidate pledges' });
    expect(ledger.requests).toEqual([]);
  });

  it('a retracted report is matched to nothing', async () => {
    ledger.submitEvidence(E1, report());
    ledger.retract(E1);

    expect(await handler.handle(matchJob)).toEqual({ appended: 0, detail: 'retracted' });
    expect(ledger.requests).toEqual([]);
  });

  it('redelivery appends nothing (the matches are found again, the attachments are there)', async () => {
    ledger.submitEvidence(E1, report());
    await handler.handle(matchJob);
    const before = ledger.events.length;

    expect(await handler.handle(matchJob)).toEqual({ appended: 0, detail: 'matched 2 of 2 candidate pledges' });
    expect(ledger.events).toHaveLength(before);
    expect(ledger.requests).toHaveLength(2);
  });

  it('a retraction racing the matcher: every pledge’s append is refused by the report’s stream version, and nothing is attached', async () => {
    ledger.submitEvidence(E1, report());
    ledger.rival = (_request, asked) => {
      if (asked === 0) ledger.retract(E1);
    };

    expect(await handler.handle(matchJob)).toEqual({ appended: 0, detail: 'matched 2 of 2 candidate pledges' });
    // The first pledge's append is refused and its retry sees the retraction; the second pledge
    // still starts from the version read before, so its append is refused in turn.
    expect(ledger.refused).toBe(2);
    expect(ledger.typesOf(PLEDGE)).toEqual(['ClaimRecorded']);
    expect(ledger.typesOf(PRESENCE_PLEDGE)).toEqual(['ClaimRecorded']);
    expect(sleep.waits).toHaveLength(2);
  });
});
