import fc from 'fast-check';
import { ConflictError, ForbiddenError, InvalidCommandError, NotFoundError, StaleVersionError } from '../../../src/domain/errors';
import {
  decideClaim,
  evolveClaim,
  foldClaim,
  initialClaimState,
  publishedReview,
  reviewOutdated,
  type ClaimCommand,
  type ClaimState,
} from '../../../src/domain/claim.decider';
import type { ClaimRecordedData, NewEvent, StoredEvent } from '../../../src/domain/events';
import type { Scope, Stance } from '../../../src/domain/types';
import { computeVerdict, computeVerdictBy, computeVerdictV2, type EvidenceFact } from '../../../src/domain/verdict';
import { scenario } from '../../support/decider';

type AnyEvent = NewEvent | StoredEvent;
const claims = scenario<ClaimCommand, ClaimState, AnyEvent>({ decide: decideClaim, evolve: evolveClaim, initialState: initialClaimState });

const UNTIL = '2022-04-30T00:00:00Z';
const SCOPE: Scope = { places: [{ name: 'Chernihiv' }], indicators: ['shelling'], from: '2022-03-29T11:00:00Z', until: UNTIL, expectation: 'absence' };
const PLEDGE: ClaimRecordedData = {
  kind: 'pledge',
  statement: 'Reduce military activity near Chernihiv.',
  speaker: { name: 'Vladimir Medinsky' },
  madeAt: '2022-03-29T11:00:00Z',
  source: { url: 'https://www.themoscowtimes.com/a' },
  topics: [],
  scope: SCOPE,
};
const E1 = '11111111-1111-4111-8111-111111111111';
const R1 = 'aaaaaaaa-1111-4111-8111-111111111111';
const R2 = 'bbbbbbbb-2222-4222-8222-222222222222';
const ALICE = 'key-alice';
const BOB = 'key-bob';

function fact(evidenceId: string, stance: Stance, publisher = 'a'): EvidenceFact {
  return { evidenceId, stance, reliability: 'B', credibility: 2, source: { url: `https://${publisher}.example/r`, publisher } };
}

/** An event as the log stores it, with the key that caused it in metadata.actor. */
let position = 0;
function stored(event: NewEvent, actorId = 'system', version = 0): StoredEvent {
  position++;
  return {
    ...event,
    position,
    streamId: 'claim-c1',
    streamVersion: version || position,
    metadata: { actor: { kind: 'api-key', id: actorId, name: actorId, role: 'editor' }, correlationId: 'c', causationId: null },
    recordedAt: new Date(Date.UTC(2022, 3, 1, 0, 0, position)).toISOString(),
    prevHash: '0'.repeat(64),
    hash: String(position).padStart(64, '0'),
  } as StoredEvent;
}

const recorded = (claim = PLEDGE): NewEvent => ({ type: 'ClaimRecorded', data: claim });
const proposed = (reviewId: string, claimVersion: number, rating: 'supported' | 'refuted' = 'supported'): NewEvent => ({
  type: 'ReviewProposed',
  data: { reviewId, rating, explanation: 'Checked against two local reports.', claimVersion, machineStatus: 'unverified' },
});
const propose = (reviewId: string, claimVersion: number): ClaimCommand => ({
  type: 'ProposeReview',
  reviewId,
  rating: 'supported',
  explanation: 'Checked against two local reports.',
  claimVersion,
});

describe('Claim decider: reviews (workflow v1)', () => {
  it('proposes a review at the claim version, noting the machine status', () => {
    claims.given([recorded()]).when(propose(R1, 1)).then([proposed(R1, 1)]);
  });

  it('refuses a proposal at a stale version (412 on claimVersion), and one for a claim that does not exist', () => {
    claims.given([recorded()]).when(propose(R1, 0)).thenThrows(StaleVersionError, { field: 'claimVersion' });
    claims.given([]).when(propose(R1, 0)).thenThrows(NotFoundError);
  });

  it('two-person rule: the proposer cannot approve; someone else can', () => {
    const history = [stored(recorded()), stored(proposed(R1, 1), ALICE)];
    claims.given(history).when({ type: 'ApproveReview', reviewId: R1, by: ALICE }).thenThrows(ForbiddenError);
    claims.given(history).when({ type: 'ApproveReview', reviewId: R1, by: BOB, comment: 'ok' }).then([{ type: 'ReviewPublished', data: { reviewId: R1, comment: 'ok' } }]);
  });

  it('approving or rejecting a review that is not proposed is a conflict; an unknown review is not found', () => {
    const published = [stored(recorded()), stored(proposed(R1, 1), ALICE), stored({ type: 'ReviewPublished', data: { reviewId: R1 } }, BOB)];
    claims.given(published).when({ type: 'ApproveReview', reviewId: R1, by: 'carol' }).thenThrows(ConflictError);
    claims.given(published).when({ type: 'RejectReview', reviewId: R1, comment: 'no' }).thenThrows(ConflictError);
    claims.given(published).when({ type: 'ApproveReview', reviewId: R2, by: 'carol' }).thenThrows(NotFoundError, { field: 'rid' });
  });

  it('refuses approval once the claim moved past the rated version (412: propose again); other reviews do not count as a move', () => {
    const base = [stored(recorded()), stored(proposed(R1, 1), ALICE), stored(proposed(R2, 2), 'carol')];
    claims.given(base).when({ type: 'ApproveReview', reviewId: R1, by: BOB }).then([{ type: 'ReviewPublished', data: { reviewId: R1 } }]);
    const moved = [...base, stored({ type: 'EvidenceAttached', data: { evidenceId: E1, stance: 'supports', attachedBy: 'checker' } })];
    claims.given(moved).when({ type: 'ApproveReview', reviewId: R1, by: BOB }).thenThrows(StaleVersionError, { field: 'claimVersion' });
  });

  it('rejects with a comment; the fold keeps the history, the published review and whether it is outdated', () => {
    const history = [
      stored(recorded()),
      stored(proposed(R1, 1), ALICE),
      stored({ type: 'ReviewRejected', data: { reviewId: R1, comment: 'needs a second source' } }, BOB),
      stored(proposed(R2, 3), ALICE),
      stored({ type: 'ReviewPublished', data: { reviewId: R2 } }, BOB),
    ];
    const state = foldClaim(history);
    expect(state.reviews.map((r) => [r.reviewId, r.state, r.proposedBy, r.decidedBy])).toEqual([
      [R1, 'rejected', ALICE, BOB],
      [R2, 'published', ALICE, BOB],
    ]);
    expect(publishedReview(state)?.reviewId).toBe(R2);
    expect(reviewOutdated(state)).toBe(false);
    const later = foldClaim([
      ...history,
      stored({ type: 'EvidenceAttached', data: { evidenceId: E1, stance: 'contradicts', attachedBy: 'checker' } }),
      stored({ type: 'VerificationStatusChanged', data: { from: 'unverified', to: 'contradicted', support: 0, contradict: 0.64, basis: [E1], rule: 'verdict-v1' } }),
    ]);
    expect(reviewOutdated(later)).toBe(true);
  });
});

describe('Claim decider: CloseScopeWindow (verdict-v2)', () => {
  const close = (facts: Record<string, EvidenceFact> = {}, now = '2022-04-30T00:00:01Z'): ClaimCommand => ({ type: 'CloseScopeWindow', at: UNTIL, now, facts });

  it('absence expected, nothing attached: the window closes and the pledge is supported (reason code, verdict-v2)', () => {
    claims
      .given([recorded()])
      .when(close())
      .then([
        { type: 'ScopeWindowClosed', data: { at: UNTIL, support: 0, contradict: 0 } },
        {
          type: 'VerificationStatusChanged',
          data: { from: 'unverified', to: 'supported', support: 0, contradict: 0, basis: [], rule: 'verdict-v2', reason: 'window-closed-without-contrary-reports' },
        },
      ]);
  });

  it('presence expected, nothing attached: contradicted, reason window-closed-without-reports', () => {
    const presence = { ...PLEDGE, scope: { ...SCOPE, expectation: 'presence' as const } };
    const [, change] = claims.given([recorded(presence)]).when(close()).then([
      { type: 'ScopeWindowClosed', data: { at: UNTIL, support: 0, contradict: 0 } },
      {
        type: 'VerificationStatusChanged',
        data: { from: 'unverified', to: 'contradicted', support: 0, contradict: 0, basis: [], rule: 'verdict-v2', reason: 'window-closed-without-reports' },
      },
    ]);
    expect(change.type).toBe('VerificationStatusChanged');
  });

  it('with evidence attached, closing records the weights and keeps the status (no change event)', () => {
    const history = [
      recorded(),
      { type: 'EvidenceAttached', data: { evidenceId: E1, stance: 'contradicts', attachedBy: 'matcher' } } as NewEvent,
      { type: 'VerificationStatusChanged', data: { from: 'unverified', to: 'contradicted', support: 0, contradict: 0.64, basis: [E1], rule: 'verdict-v1' } } as NewEvent,
    ];
    claims.given(history).when(close({ [E1]: fact(E1, 'contradicts') })).then([{ type: 'ScopeWindowClosed', data: { at: UNTIL, support: 0, contradict: 0.64 } }]);
  });

  it('exactly once: a closed window closes no more; an open one (clock before until) and a pledge without until refuse', () => {
    const closed = [recorded(), { type: 'ScopeWindowClosed', data: { at: UNTIL, support: 0, contradict: 0 } } as NewEvent];
    claims.given(closed).when(close()).then([]);
    claims.given([recorded()]).when(close({}, '2022-04-29T23:59:59Z')).thenThrows(InvalidCommandError, { field: 'scope.until' });
    claims.given([recorded({ ...PLEDGE, scope: { ...SCOPE, until: undefined } })]).when(close()).thenThrows(InvalidCommandError);
  });

  it('after the window closed, later evidence is judged with verdict-v2 and retracting it returns to the closed-window status', () => {
    const afterClose = [
      recorded(),
      { type: 'ScopeWindowClosed', data: { at: UNTIL, support: 0, contradict: 0 } } as NewEvent,
      { type: 'VerificationStatusChanged', data: { from: 'unverified', to: 'supported', support: 0, contradict: 0, basis: [], rule: 'verdict-v2', reason: 'window-closed-without-contrary-reports' } } as NewEvent,
    ];
    const [, change] = claims
      .given(afterClose)
      .when({ type: 'AttachEvidence', evidenceId: E1, stance: 'contradicts', attachedBy: 'matcher', facts: { [E1]: fact(E1, 'contradicts') } })
      .then([
        { type: 'EvidenceAttached', data: { evidenceId: E1, stance: 'contradicts', attachedBy: 'matcher' } },
        {
          type: 'VerificationStatusChanged',
          data: { from: 'supported', to: 'contradicted', support: 0, contradict: 0.64, basis: [E1], rule: 'verdict-v2', reason: 'contradiction-outweighs-support' },
        },
      ]);
    const state = [change].reduce(evolveClaim, foldClaim([...afterClose, { type: 'EvidenceAttached', data: { evidenceId: E1, stance: 'contradicts', attachedBy: 'matcher' } }]));
    expect(decideClaim({ type: 'DetachEvidence', evidenceId: E1, reason: 'retracted', facts: {} }, state)).toEqual([
      { type: 'EvidenceDetached', data: { evidenceId: E1, reason: 'retracted' } },
      {
        type: 'VerificationStatusChanged',
        data: { from: 'contradicted', to: 'supported', support: 0, contradict: 0, basis: [], rule: 'verdict-v2', reason: 'window-closed-without-contrary-reports' },
      },
    ]);
  });
});

describe('verdict-v2 (pure rule)', () => {
  const stanceArb = fc.constantFrom<Stance>('supports', 'contradicts');
  const factsArb = fc.uniqueArray(
    fc.record({
      evidenceId: fc.stringMatching(/^e[0-9]{1,3}$/),
      stance: stanceArb,
      reliability: fc.constantFrom('A', 'B', 'C', 'D', 'E', 'F' as const),
      credibility: fc.constantFrom(1, 2, 3, 4, 5, 6 as const),
      source: fc.constantFrom({ url: 'https://a.example/1' }, { url: 'https://b.example/2', publisher: 'B' }, { url: 'https://www.c.example/' }),
    }) as fc.Arbitrary<EvidenceFact>,
    { selector: (f) => f.evidenceId, maxLength: 8 },
  );
  const windowArb = fc.record({ closed: fc.boolean(), expectation: fc.constantFrom('absence' as const, 'presence' as const, null) });

  it('gives exactly what verdict-v1 gives whenever evidence is attached or the window is open (status, weights, basis)', () => {
    fc.assert(
      fc.property(factsArb, windowArb, (facts, window) => {
        fc.pre(facts.length > 0 || !window.closed);
        const v1 = computeVerdict(facts);
        const v2 = computeVerdictV2(facts, window);
        expect({ ...v2, rule: undefined, reason: undefined }).toEqual({ ...v1, rule: undefined, reason: undefined });
        expect(v2.rule).toBe('verdict-v2');
        expect(typeof v2.reason).toBe('string');
      }),
    );
  });

  it('computeVerdictBy recomputes with the rule an event names, and refuses an unknown rule', () => {
    expect(computeVerdictBy('verdict-v1', [], { closed: true, expectation: 'absence' }).status).toBe('unverified');
    expect(computeVerdictBy('verdict-v2', [], { closed: true, expectation: 'absence' }).status).toBe('supported');
    expect(() => computeVerdictBy('verdict-v9', [], { closed: true, expectation: 'absence' })).toThrow(RangeError);
  });
});
