import { JOB_SINK } from '../../../src/jobs/jobs.module';
import type { JobSink } from '../../../src/jobs/job-sink';
import { CHERNIHIV, KYIV, crimeaClaimBody, evidenceBody, pledgeBody, reportBody } from '../../support/app';
import { PrefixLedger, RUN_MODES, attachmentsIn, bootJobsApp, recomputeFromApi, waitForIdle, type JobsTestApp, type RunMode } from '../../support/jobs';

/**
 * The verification workflow as a fact-checker sees it through the HTTP API, written once and run
 * in both modes: inline (no Redis: handlers run in the API process after commit) and BullMQ
 * (test Redis, workers in the API process). Every test gets a fresh SQLite file (reports match
 * every pledge in a ledger, so scenarios must not see each other) and, for BullMQ, a fresh prefix.
 */

const prefixes = new PrefixLedger('jobs-flow');
afterAll(() => prefixes.cleanup());

const KHARKIV = { name: 'Kharkiv', lat: 49.9935, lon: 36.2304 };
/** Irpin: about 21 km from the centre of Kyiv, so it falls inside the default 25 km radius. */
const IRPIN = { name: 'Irpin', lat: 50.5218, lon: 30.2506 };

/** A report graded A1, from the regional administration (an independent publisher). */
const a1Report = (extra: Record<string, unknown> = {}) =>
  reportBody({
    summary: 'Regional administration: Chernihiv shelled through the night despite the announced de-escalation.',
    source: { url: 'https://example.org/chernihiv-oda/2022-03-30', publisher: 'Chernihiv Regional Military Administration' },
    reliability: 'A',
    credibility: 1,
    ...extra,
  });

/** A report graded B2, from The Moscow Times (citing local officials). */
const b2Report = (extra: Record<string, unknown> = {}) => reportBody({ reliability: 'B', credibility: 2, ...extra });

describe.each(RUN_MODES)('verification flow, %s mode', (mode: RunMode) => {
  let t: JobsTestApp;

  beforeEach(async () => {
    t = await bootJobsApp(mode, prefixes);
  });

  afterEach(async () => {
    await t?.close();
  });

  it('evidence for a claim changes its status within a bounded wait, and the evidence shows where it is attached', async () => {
    expect((t.app.get(JOB_SINK) as JobSink).mode).toBe(mode);
    const claimId = await t.api.createClaim(crimeaClaimBody());
    expect((await t.api.claim(claimId)).status).toBe('unverified');

    const evidenceId = await t.api.postEvidence(claimId, evidenceBody({ summary: 'Troops crossed into Crimea.' }));
    const view = await t.api.waitForStatus(claimId, 'contradicted', { timeoutMs: 10_000 });

    expect(view.evidence).toEqual([expect.objectContaining({ evidenceId, stance: 'contradicts', attachedBy: 'checker', retracted: false })]);
    expect(view.verdict).toEqual({ support: 0, contradict: 0.64, basis: [evidenceId], rule: 'verdict-v1' });
    expect(view.statusHistory.map((h) => h.status)).toEqual(['unverified', 'contradicted']);

    const ev = await t.api.evidence(evidenceId);
    expect(ev.attachedTo).toEqual([expect.objectContaining({ claimId, stance: 'contradicts', attachedBy: 'checker', attached: true })]);

    const feed = await t.api.feed();
    expect(attachmentsIn(feed, claimId, evidenceId)).toHaveLength(1);
    expect(feed.filter((e) => e.type === 'VerificationStatusChanged' && e.streamId === `claim-${claimId}`)).toHaveLength(1);
    const attached = attachmentsIn(feed, claimId, evidenceId)[0];
    expect(attached.metadata.actor).toEqual({ kind: 'system', name: 'verification-worker' });
  });

  it('seed scenario: A1 report → contradicted, independent B2 report → refuted, retracting it → contradicted again', async () => {
    const pledgeId = await t.api.createClaim(pledgeBody());

    // 1. A report graded A1 of shelling in Chernihiv after the pledge.
    const first = await t.api.postReport(a1Report());
    let view = await t.api.waitForStatus(pledgeId, 'contradicted');
    expect(view.verdict).toEqual({ support: 0, contradict: 1, basis: [first], rule: 'verdict-v1' });
    expect(view.evidence).toEqual([
      expect.objectContaining({
        evidenceId: first,
        stance: 'contradicts',
        attachedBy: 'matcher',
        rule: expect.objectContaining({ name: 'scope-match-v1', place: 'Chernihiv', indicator: 'shelling' }),
      }),
    ]);

    // 2. A second, independent report graded B2: X = 1.64 from two publishers.
    const second = await t.api.postReport(b2Report());
    view = await t.api.waitForStatus(pledgeId, 'refuted');
    expect(view.verdict).toEqual({ support: 0, contradict: 1.64, basis: [first, second].sort(), rule: 'verdict-v1' });

    // 3. Retracting the second one takes it off the pledge again.
    await t.api.retract(second, 'the outlet could not confirm the location');
    view = await t.api.waitForStatus(pledgeId, 'contradicted');
    expect(view.verdict).toEqual({ support: 0, contradict: 1, basis: [first], rule: 'verdict-v1' });
    expect(view.statusHistory.map((h) => h.status)).toEqual(['unverified', 'contradicted', 'refuted', 'contradicted']);
    const positions = view.statusHistory.map((h) => h.position);
    expect([...positions].sort((a, b) => a - b)).toEqual(positions);
    expect(view.evidence.find((e) => e.evidenceId === second)).toEqual(expect.objectContaining({ retracted: true }));
    expect(view.evidence.find((e) => e.evidenceId === first)).toEqual(expect.objectContaining({ retracted: false }));

    const retracted = await t.api.evidence(second);
    expect(retracted.retracted).toBe(true);
    expect(retracted.attachedTo).toEqual([expect.objectContaining({ claimId: pledgeId, attachedBy: 'matcher', attached: false })]);
    expect((await t.api.evidence(first)).attachedTo).toEqual([expect.objectContaining({ claimId: pledgeId, attached: true })]);

    await waitForIdle(t);
    const feed = await t.api.feed();
    const claimEvents = feed.filter((e) => e.streamId === `claim-${pledgeId}`).map((e) => e.type);
    expect(claimEvents).toEqual([
      'ClaimRecorded',
      'EvidenceAttached',
      'VerificationStatusChanged',
      'EvidenceAttached',
      'VerificationStatusChanged',
      'EvidenceDetached',
      'VerificationStatusChanged',
    ]);
    expect(await t.api.verifyLedger()).toEqual(expect.objectContaining({ ok: true }));
  });

  it('a report attaches only to the pledges it matches', async () => {
    const pledgeId = await t.api.createClaim(pledgeBody());
    // A second pledge, elsewhere and about something else, with an end to its window.
    const otherPledgeId = await t.api.createClaim(
      pledgeBody({
        statement: 'Humanitarian corridors out of Mariupol will be open.',
        scope: { places: [{ name: 'Mariupol', lat: 47.0971, lon: 37.5434 }], indicators: ['corridor open'], from: '2022-03-29T14:00:00+03:00', until: '2022-04-05T00:00:00+03:00', expectation: 'presence' },
      }),
    );
    const plainClaimId = await t.api.createClaim(crimeaClaimBody());

    const inKharkiv = await t.api.postReport(a1Report({ places: [KHARKIV], summary: 'Shelling in Kharkiv.' }));
    const beforeFrom = await t.api.postReport(a1Report({ observedAt: '2022-03-28T20:00:00+03:00', summary: 'Shelling in Chernihiv the night before the talks.' }));
    const otherIndicator = await t.api.postReport(a1Report({ indicators: ['troop movement'], summary: 'Columns moving north of Chernihiv.' }));
    // The control: near Kyiv by distance (no name in common), so the matcher did run on this batch.
    const nearKyiv = await t.api.postReport(a1Report({ places: [IRPIN], indicators: [' Shelling '], summary: 'Shelling in Irpin.' }));

    const view = await t.api.waitForEvidence(pledgeId, [nearKyiv]);
    await waitForIdle(t);

    const pledge = await t.api.claim(pledgeId);
    expect(pledge.evidence.map((e) => e.evidenceId)).toEqual([nearKyiv]);
    expect(pledge.evidence[0].rule).toEqual(expect.objectContaining({ place: KYIV.name, indicator: 'shelling', by: 'distance' }));
    expect((pledge.evidence[0].rule as { distanceKm: number }).distanceKm).toBeLessThanOrEqual(25);
    expect(pledge.status).toBe('contradicted');
    expect(view.status).toBe(pledge.status);

    for (const id of [inKharkiv, beforeFrom, otherIndicator]) {
      expect({ id, attachedTo: (await t.api.evidence(id)).attachedTo }).toEqual({ id, attachedTo: [] });
    }
    expect((await t.api.evidence(nearKyiv)).attachedTo).toEqual([expect.objectContaining({ claimId: pledgeId, attachedBy: 'matcher', attached: true })]);

    // Its window (until 2022-04-05) has closed with no report: verdict-v2 judges it (expected presence → contradicted).
    const other = await t.api.waitForStatus(otherPledgeId, 'contradicted');
    expect(other.evidence).toEqual([]);
    expect(other.verdict).toMatchObject({ rule: 'verdict-v2', reason: 'window-closed-without-reports' });
    const plain = await t.api.claim(plainClaimId);
    expect(plain.evidence).toEqual([]);
    expect(plain.status).toBe('unverified');

    const feed = await t.api.feed();
    expect(feed.filter((e) => e.type === 'EvidenceAttached')).toHaveLength(1);
  });

  it('retroactive matching: a pledge recorded later gets the reports already in the ledger (but not retracted ones)', async () => {
    const early = await t.api.postReport(a1Report());
    const withdrawn = await t.api.postReport(b2Report({ places: [{ name: 'chernihiv' }] }));
    await t.api.retract(withdrawn, 'duplicate of an earlier report');
    await waitForIdle(t);
    expect((await t.api.evidence(early)).attachedTo).toEqual([]);

    const pledgeId = await t.api.createClaim(pledgeBody());
    const view = await t.api.waitForStatus(pledgeId, 'contradicted');
    expect(view.evidence).toEqual([expect.objectContaining({ evidenceId: early, stance: 'contradicts', attachedBy: 'matcher' })]);
    expect(view.verdict).toEqual({ support: 0, contradict: 1, basis: [early], rule: 'verdict-v1' });

    await waitForIdle(t);
    expect((await t.api.evidence(early)).attachedTo).toEqual([expect.objectContaining({ claimId: pledgeId, attachedBy: 'matcher', attached: true })]);
    expect((await t.api.evidence(withdrawn)).attachedTo).toEqual([]);
    expect(attachmentsIn(await t.api.feed(), pledgeId, early)).toHaveLength(1);
  });

  it('one publisher counts once: two reports from the same publisher leave the pledge contradicted, weighed by the heavier', async () => {
    const pledgeId = await t.api.createClaim(pledgeBody());
    const heavy = await t.api.postReport(a1Report());
    await t.api.waitForStatus(pledgeId, 'contradicted');
    const lighter = await t.api.postReport(
      a1Report({ reliability: 'B', credibility: 2, summary: 'More shelling reported in Chernihiv.', source: { url: 'https://example.org/chernihiv-oda/2022-03-31', publisher: 'chernihiv regional military ADMINISTRATION' } }),
    );
    await t.api.waitForEvidence(pledgeId, [heavy, lighter]);
    await waitForIdle(t);

    const settled = await t.api.claim(pledgeId);
    expect(settled.status).toBe('contradicted');
    expect(settled.evidence.map((e) => e.evidenceId)).toEqual([heavy, lighter]);
    expect(settled.verdict).toEqual({ support: 0, contradict: 1, basis: [heavy], rule: 'verdict-v1' });
    expect(settled.statusHistory.map((h) => h.status)).toEqual(['unverified', 'contradicted']);
    // The same from the public events and evidence alone: X = 1.0, not 1.64, and not refuted.
    const { verdict } = await recomputeFromApi(t.api, pledgeId);
    expect(verdict).toEqual(expect.objectContaining({ status: 'contradicted', contradict: 1, basis: [heavy] }));
  });

  // The status does not move here (so no VerificationStatusChanged is appended), yet the view's
  // verdict must follow what is attached: the lighter piece first (contradicted, X 0.64), then the
  // heavier one from the same publisher replaces it in the sum (X 1.0), never adds to it.
  it('the claim view’s verdict follows evidence attached after the last status change (heavier piece of the same publisher second)', async () => {
    const pledgeId = await t.api.createClaim(pledgeBody());
    const lighter = await t.api.postReport(b2Report());
    await t.api.waitForStatus(pledgeId, 'contradicted');
    const heavy = await t.api.postReport(a1Report({ source: { url: 'https://www.themoscowtimes.com/2022/03/31/x', publisher: 'The Moscow Times' } }));
    await t.api.waitForEvidence(pledgeId, [lighter, heavy]);
    await waitForIdle(t);
    const view = await t.api.claim(pledgeId);
    expect(view.status).toBe('contradicted');
    expect(view.verdict).toEqual({ support: 0, contradict: 1, basis: [heavy], rule: 'verdict-v1' });
  });

  it('evidence with a stance on a plain claim: supports → supported, contradicts → contradicted, both → disputed', async () => {
    const supported = await t.api.createClaim(crimeaClaimBody());
    const contradicted = await t.api.createClaim(crimeaClaimBody());
    const disputed = await t.api.createClaim(crimeaClaimBody());
    const support = (extra = {}) =>
      evidenceBody({ stance: 'supports', summary: 'No troop movement towards Crimea observed.', reliability: 'A', credibility: 1, source: { url: 'https://www.example.net/crimea-watch' }, ...extra });
    const contradict = () => evidenceBody({ stance: 'contradicts', summary: 'Forces massed at the Crimean border.' });

    const s1 = await t.api.postEvidence(supported, support());
    const x1 = await t.api.postEvidence(contradicted, contradict());
    const s2 = await t.api.postEvidence(disputed, support());
    const x2 = await t.api.postEvidence(disputed, contradict());

    expect((await t.api.waitForStatus(supported, 'supported')).verdict).toEqual({ support: 1, contradict: 0, basis: [s1], rule: 'verdict-v1' });
    expect((await t.api.waitForStatus(contradicted, 'contradicted')).verdict).toEqual({ support: 0, contradict: 0.64, basis: [x1], rule: 'verdict-v1' });
    // S = 1.0, X = 0.64: neither S ≥ 3X nor X ≥ 3S.
    const d = await t.api.waitForStatus(disputed, 'disputed');
    expect(d.verdict).toEqual({ support: 1, contradict: 0.64, basis: [s2, x2].sort(), rule: 'verdict-v1' });
    expect(d.evidence.map((e) => [e.evidenceId, e.stance, e.attachedBy]).sort()).toEqual(
      [
        [s2, 'supports', 'checker'],
        [x2, 'contradicts', 'checker'],
      ].sort(),
    );
  });

  it('verdict events are reproducible: verdict-v1 recomputed from the claim events and its evidence gives the recorded statuses', async () => {
    const pledgeId = await t.api.createClaim(pledgeBody());
    const claimId = await t.api.createClaim(crimeaClaimBody());

    const r1 = await t.api.postReport(a1Report());
    await t.api.waitForStatus(pledgeId, 'contradicted');
    const r2 = await t.api.postReport(b2Report({ places: [{ name: 'Kyïv' }], indicators: ['AIRSTRIKE'] }));
    await t.api.waitForStatus(pledgeId, 'refuted');
    const r3 = await t.api.postReport(
      b2Report({ source: { url: 'https://www.kyivindependent.example/news/1' }, reliability: 'C', credibility: 3, places: [CHERNIHIV] }),
    );
    await t.api.waitForEvidence(pledgeId, [r3]);
    await t.api.retract(r1, 'misdated');
    await t.api.waitForStatus(pledgeId, 'contradicted');

    const e1 = await t.api.postEvidence(claimId, evidenceBody({ stance: 'supports', reliability: 'A', credibility: 1, source: { url: 'https://a.example/1' } }));
    await t.api.waitForStatus(claimId, 'supported');
    const e2 = await t.api.postEvidence(claimId, evidenceBody({ stance: 'contradicts', reliability: 'A', credibility: 2, source: { url: 'https://b.example/1' } }));
    await t.api.waitForStatus(claimId, 'disputed');
    await t.api.retract(e1, 'source withdrawn');
    await t.api.waitForStatus(claimId, 'contradicted');
    await waitForIdle(t);

    for (const [id, expectedTrail] of [
      [pledgeId, ['unverified', 'contradicted', 'refuted', 'contradicted']],
      [claimId, ['unverified', 'supported', 'disputed', 'contradicted']],
    ] as const) {
      const { verdict, statuses, events } = await recomputeFromApi(t.api, id);
      expect(statuses).toEqual(expectedTrail);
      const lastChange = [...events].reverse().find((e) => e.type === 'VerificationStatusChanged')!;
      const recorded = lastChange.data as { to: string; support: number; contradict: number; basis: string[]; rule: string };
      expect({ status: recorded.to, support: recorded.support, contradict: recorded.contradict, basis: [...recorded.basis].sort(), rule: recorded.rule }).toEqual({
        status: verdict.status,
        support: verdict.support,
        contradict: verdict.contradict,
        basis: verdict.basis,
        rule: 'verdict-v1',
      });
      const view = await t.api.claim(id);
      expect(view.status).toBe(verdict.status);
      expect(view.verdict).toEqual({ support: verdict.support, contradict: verdict.contradict, basis: verdict.basis, rule: 'verdict-v1' });
    }
    expect(e2).toBeDefined();
    expect(r2).toBeDefined();
  });
});
