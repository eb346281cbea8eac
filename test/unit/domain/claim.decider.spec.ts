import { ConflictError, InvalidCommandError, NotFoundError } from '../../../src/domain/errors';
import type { Scope, Stance } from '../../../src/domain/types';
import {
  decideClaim,
  evolveClaim,
  foldClaim,
  initialClaimState,
  type ClaimCommand,
  type ClaimState,
} from '../../../src/domain/claim.decider';
import type { ClaimRecordedData, MatchRule, NewEvent, StoredEvent } from '../../../src/domain/events';
import type { EvidenceFact } from '../../../src/domain/verdict';
import { claim } from '../verification/support/fixtures';
import { scenario } from '../../support/decider';

const claims = scenario<ClaimCommand, ClaimState, NewEvent>({
  decide: decideClaim,
  evolve: (s, e) => evolveClaim(s, e),
  initialState: initialClaimState,
});

const SCOPE: Scope = {
  places: [
    { name: 'Kyiv', lat: 50.4501, lon: 30.5234 },
    { name: 'Chernihiv', lat: 51.4982, lon: 31.2893 },
  ],
  indicators: ['shelling', 'airstrike'],
  from: '2022-03-29T14:00:00+03:00',
  expectation: 'absence',
};

const PLEDGE: ClaimRecordedData = {
  kind: 'pledge',
  statement: 'Russian negotiators pledged to "radically reduce military activity" near Kyiv and Chernihiv.',
  speaker: { name: 'Vladimir Medinsky' },
  madeAt: '2022-03-29T14:00:00+03:00',
  source: { url: 'https://www.themoscowtimes.com/2022/03/30/kremlin-sees-no-breakthroughs-at-ukraine-talks-a77146' },
  topics: ['Ukraine'],
  scope: SCOPE,
};

const CRIMEA: ClaimRecordedData = claim();

const E1 = '11111111-1111-4111-8111-111111111111';
const E2 = '22222222-2222-4222-8222-222222222222';
const E3 = '33333333-3333-4333-8333-333333333333';

function fact(evidenceId: string, stance: Stance, code: string, publisher: string): EvidenceFact {
  return {
    evidenceId,
    stance,
    reliability: code[0] as EvidenceFact['reliability'],
    credibility: Number(code.slice(1)) as EvidenceFact['credibility'],
    source: { url: `https://${publisher}.example/report`, publisher },
  };
}

const recorded = (claim: ClaimRecordedData = PLEDGE): NewEvent => ({ type: 'ClaimRecorded', data: claim });
const attached = (evidenceId: string, stance: Stance, attachedBy: 'checker' | 'matcher' = 'checker', rule?: MatchRule): NewEvent => ({
  type: 'EvidenceAttached',
  data: { evidenceId, stance, attachedBy, ...(rule ? { rule } : {}) },
});
const detached = (evidenceId: string): NewEvent => ({ type: 'EvidenceDetached', data: { evidenceId, reason: 'retracted' } });
const statusChanged = (
  from: ClaimState['status'],
  to: ClaimState['status'],
  support: number,
  contradict: number,
  basis: string[],
): NewEvent => ({ type: 'VerificationStatusChanged', data: { from, to, support, contradict, basis, rule: 'verdict-v1' } });

const attach = (evidenceId: string, stance: Stance, facts: Record<string, EvidenceFact>, extra: Partial<ClaimCommand> = {}): ClaimCommand =>
  ({ type: 'AttachEvidence', evidenceId, stance, attachedBy: 'checker', facts, ...extra }) as ClaimCommand;
const detach = (evidenceId: string, facts: Record<string, EvidenceFact> = {}): ClaimCommand => ({
  type: 'DetachEvidence',
  evidenceId,
  reason: 'retracted',
  facts,
});

describe('Claim decider: RecordClaim', () => {
  it('records a pledge with its scope', () => {
    claims.given([]).when({ type: 'RecordClaim', claim: PLEDGE }).then([recorded(PLEDGE)]);
  });

  it('records a claim without a scope', () => {
    claims.given([]).when({ type: 'RecordClaim', claim: CRIMEA }).then([recorded(CRIMEA)]);
  });

  it('refuses a scope on a claim that is not a pledge, naming the field', () => {
    claims
      .given([])
      .when({ type: 'RecordClaim', claim: { ...CRIMEA, scope: SCOPE } })
      .thenThrows(InvalidCommandError, { field: 'scope' });
  });

  it('refuses to record the same claim twice', () => {
    claims.given([recorded()]).when({ type: 'RecordClaim', claim: PLEDGE }).thenThrows(ConflictError);
  });
});

describe('Claim decider: AttachEvidence', () => {
  it('refuses evidence for a claim that does not exist', () => {
    claims.given([]).when(attach(E1, 'supports', { [E1]: fact(E1, 'supports', 'B2', 'a') })).thenThrows(NotFoundError);
  });

  it('attaches and moves the status when the verdict changes (unverified → contradicted)', () => {
    claims
      .given([recorded()])
      .when(attach(E1, 'contradicts', { [E1]: fact(E1, 'contradicts', 'B2', 'moscow times') }))
      .then([attached(E1, 'contradicts'), statusChanged('unverified', 'contradicted', 0, 0.64, [E1])]);
  });

  it('attaches without a status event when the status stays the same', () => {
    const history = [recorded(), attached(E1, 'supports'), statusChanged('unverified', 'supported', 0.64, 0, [E1])];
    claims
      .given(history)
      .when(
        attach(E2, 'supports', {
          [E1]: fact(E1, 'supports', 'B2', 'a'),
          [E2]: fact(E2, 'supports', 'C3', 'a'), // same publisher: still supported, S unchanged
        }),
      )
      .then([attached(E2, 'supports')]);
  });

  it('moves supported → confirmed once two publishers together weigh 1.5 or more', () => {
    const history = [recorded(), attached(E1, 'supports'), statusChanged('unverified', 'supported', 1, 0, [E1])];
    claims
      .given(history)
      .when(attach(E2, 'supports', { [E1]: fact(E1, 'supports', 'A1', 'a'), [E2]: fact(E2, 'supports', 'A1', 'b') }))
      .then([attached(E2, 'supports'), statusChanged('supported', 'confirmed', 2, 0, [E1, E2])]);
  });

  it("uses the attachment's stance, not the fact's (a report's stance comes from the pledge it matched)", () => {
    claims
      .given([recorded()])
      .when(attach(E1, 'contradicts', { [E1]: fact(E1, 'supports', 'A1', 'a') }, { attachedBy: 'matcher' }))
      .then([attached(E1, 'contradicts', 'matcher'), statusChanged('unverified', 'contradicted', 0, 1, [E1])]);
  });

  it('keeps the matcher rule on the attachment', () => {
    const rule: MatchRule = { name: 'scope-match-v1', place: 'Chernihiv', indicator: 'shelling', by: 'distance', distanceKm: 3.2 };
    claims
      .given([recorded()])
      .when(attach(E1, 'contradicts', { [E1]: fact(E1, 'contradicts', 'B2', 'a') }, { attachedBy: 'matcher', rule }))
      .then([attached(E1, 'contradicts', 'matcher', rule), statusChanged('unverified', 'contradicted', 0, 0.64, [E1])]);
  });

  it('attaching the same evidence twice produces nothing the second time', () => {
    claims
      .given([recorded(), attached(E1, 'supports'), statusChanged('unverified', 'supported', 0.64, 0, [E1])])
      .when(attach(E1, 'supports', { [E1]: fact(E1, 'supports', 'B2', 'a') }))
      .then([]);
  });

  it('never attaches a detached piece again', () => {
    claims
      .given([
        recorded(),
        attached(E1, 'supports'),
        statusChanged('unverified', 'supported', 0.64, 0, [E1]),
        detached(E1),
        statusChanged('supported', 'unverified', 0, 0, []),
      ])
      .when(attach(E1, 'supports', { [E1]: fact(E1, 'supports', 'B2', 'a') }))
      .then([]);
  });

  it('refuses to decide without the facts of every attached piece', () => {
    claims
      .given([recorded(), attached(E1, 'supports'), statusChanged('unverified', 'supported', 0.64, 0, [E1])])
      .when(attach(E2, 'supports', { [E2]: fact(E2, 'supports', 'B2', 'b') }))
      .thenThrows(Error, /facts for attached evidence/);
  });
});

describe('Claim decider: DetachEvidence', () => {
  const supportedByE1 = [recorded(), attached(E1, 'supports'), statusChanged('unverified', 'supported', 0.64, 0, [E1])];

  it('detaches and moves the status back', () => {
    claims.given(supportedByE1).when(detach(E1)).then([detached(E1), statusChanged('supported', 'unverified', 0, 0, [])]);
  });

  it('detaches without a status event when the status stays', () => {
    const history = [...supportedByE1, attached(E2, 'supports')];
    claims
      .given(history)
      .when(detach(E2, { [E1]: fact(E1, 'supports', 'B2', 'a') }))
      .then([detached(E2)]);
  });

  it('detaching one side of a dispute moves the status to the other side', () => {
    const history = [
      recorded(),
      attached(E1, 'supports'),
      statusChanged('unverified', 'supported', 0.64, 0, [E1]),
      attached(E2, 'contradicts'),
      statusChanged('supported', 'disputed', 0.64, 0.64, [E1, E2]),
    ];
    claims
      .given(history)
      .when(detach(E1, { [E2]: fact(E2, 'contradicts', 'B2', 'b') }))
      .then([detached(E1), statusChanged('disputed', 'contradicted', 0, 0.64, [E2])]);
  });

  it('detaching evidence that is not attached produces nothing', () => {
    claims.given(supportedByE1).when(detach(E3, { [E1]: fact(E1, 'supports', 'B2', 'a') })).then([]);
  });

  it('detaching twice produces nothing the second time', () => {
    claims
      .given([...supportedByE1, detached(E1), statusChanged('supported', 'unverified', 0, 0, [])])
      .when(detach(E1))
      .then([]);
  });

  it('refuses to detach from a claim that does not exist', () => {
    claims.given([]).when(detach(E1)).thenThrows(NotFoundError);
  });
});

describe('Claim evolve', () => {
  it('folds attachments, detachments and statuses', () => {
    const state = foldClaim([
      recorded(),
      attached(E1, 'supports'),
      attached(E2, 'contradicts', 'matcher'),
      statusChanged('unverified', 'disputed', 0.64, 0.64, [E1, E2]),
      detached(E1),
    ]);
    expect(state).toEqual({
      exists: true,
      claim: PLEDGE,
      attached: { [E2]: { stance: 'contradicts', attachedBy: 'matcher' } },
      seen: { [E1]: true, [E2]: true },
      status: 'disputed',
      verdict: { support: 0.64, contradict: 0.64, basis: [E1, E2], rule: 'verdict-v1' },
      attachments: [
        { evidenceId: E1, stance: 'supports', attachedBy: 'checker', attached: false, placed: null },
        { evidenceId: E2, stance: 'contradicts', attachedBy: 'matcher', attached: true, placed: null },
      ],
      // Events not stored yet have no place in the log: no history entries, no first or last.
      statusHistory: [],
      first: null,
      last: null,
      // Workflow v1 and verdict-v2: versions folded, no reviews, the window still open.
      version: 5,
      contentVersion: 5,
      statusVersion: 4,
      reviews: [],
      publishedReviewId: null,
      windowClosed: null,
    });
  });

  it('keeps what the claim view and the timeline need from stored events: places, status history, head', () => {
    const rule: MatchRule = { name: 'scope-match-v1', place: 'Chernihiv', indicator: 'shelling', by: 'name' };
    const stored = [
      recorded(),
      attached(E1, 'contradicts', 'matcher', rule),
      statusChanged('unverified', 'contradicted', 0, 0.64, [E1]),
      detached(E1),
      statusChanged('contradicted', 'unverified', 0, 0, []),
    ].map((e, i) => ({
      ...e,
      position: 10 + i * 10,
      streamId: 'claim-x',
      streamVersion: i + 1,
      recordedAt: `2022-03-30T10:0${i}:00.000Z`,
      metadata: { actor: { kind: 'system' as const, name: 'test' }, correlationId: 'c', causationId: null },
      prevHash: `h${i}`,
      hash: `h${i + 1}`,
    })) as StoredEvent[];
    const state = foldClaim(stored);
    expect(state.attachments).toEqual([
      { evidenceId: E1, stance: 'contradicts', attachedBy: 'matcher', rule, attached: false, placed: { position: 20, recordedAt: '2022-03-30T10:01:00.000Z' } },
    ]);
    expect(state.statusHistory).toEqual([
      { status: 'unverified', position: 10, recordedAt: '2022-03-30T10:00:00.000Z' },
      { status: 'contradicted', position: 30, recordedAt: '2022-03-30T10:02:00.000Z' },
      { status: 'unverified', position: 50, recordedAt: '2022-03-30T10:04:00.000Z' },
    ]);
    expect(state.first).toEqual({ position: 10, recordedAt: '2022-03-30T10:00:00.000Z' });
    expect(state.last).toEqual({ position: 50, recordedAt: '2022-03-30T10:04:00.000Z', streamVersion: 5, hash: 'h5' });
    expect(state.verdict).toEqual({ support: 0, contradict: 0, basis: [], rule: 'verdict-v1' });
  });

  it('ignores events of other aggregates and leaves the initial state untouched', () => {
    const before = JSON.stringify(initialClaimState);
    const state = evolveClaim(initialClaimState, { type: 'EvidenceRetracted', data: { reason: 'x' } });
    expect(state).toEqual(initialClaimState);
    foldClaim([recorded(), attached(E1, 'supports')]);
    expect(JSON.stringify(initialClaimState)).toBe(before);
  });
});
