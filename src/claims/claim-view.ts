import type { StoredEvent } from '../domain/events';
import type { ClaimEvidenceItemSchema, ClaimViewSchema } from './claim-view.schema';
import { foldClaim, publishedReview, reviewOutdated, ruleOf, windowFactsOf, type ClaimState, type RecordedVerdict } from '../domain/claim.decider';
import { foldEvidence } from '../domain/evidence.decider';
import { computeVerdictBy } from '../domain/verdict';
import type { PublishedReviewSchema } from './claim-view.schema';

/** The view's shapes are its response schemas: a field added or dropped on one side fails to compile. */
export type ClaimEvidenceItem = ClaimEvidenceItemSchema;
export type ClaimView = ClaimViewSchema;

/**
 * The claim's stream folded by the decider's own `evolveClaim` (one fold for the decider, this
 * view and the timeline), joined with the streams of the evidence ever attached to it. The same
 * function answers "now" and "as of": the caller passes only the events recorded by then.
 */
export function buildClaimView(
  claimId: string,
  claimEvents: StoredEvent[],
  evidenceStreams: Map<string, StoredEvent[]>,
  /** The fold of `claimEvents`, when the caller has it already (it needed the evidence ids). */
  state: ClaimState = foldClaim(claimEvents),
): ClaimView | null {
  const { claim, first, last } = state;
  if (!claim || !first || !last || claimEvents[0]?.type !== 'ClaimRecorded') return null;

  const evidence: ClaimEvidenceItem[] = state.attachments.map((a) => {
    const submitted = foldEvidence(evidenceStreams.get(a.evidenceId) ?? []);
    const ev = submitted.evidence;
    // Stored events always carry their place in the log.
    const placed = a.placed ?? { position: 0, recordedAt: '' };
    return {
      evidenceId: a.evidenceId,
      stance: a.stance,
      attachedBy: a.attachedBy,
      summary: ev?.summary ?? '',
      source: ev?.source ?? { url: '' },
      reliability: ev?.reliability ?? 'F',
      credibility: ev?.credibility ?? 6,
      observedAt: ev?.observedAt ?? '',
      retracted: submitted.retracted,
      attached: a.attached,
      attachedAt: placed.recordedAt,
      attachedPosition: placed.position,
      ...(a.rule ? { rule: a.rule } : {}),
    };
  });

  // A status change is recorded only when the status moves, so evidence attached (or detached)
  // since the last one is not in its numbers: weigh what is attached now, as the jobs do
  // (attached and not detached), with the same rule. Equal to the recorded numbers whenever
  // the last event was a status change.
  let verdict: RecordedVerdict = state.verdict;
  const current = evidence.filter((item) => item.attached);
  // (Only when every attached piece's submission was found; otherwise the recorded numbers stand.)
  if (current.every((item) => item.source.url !== '')) {
    // The claim's rule now: verdict-v1, or verdict-v2 once its window has closed.
    const v = computeVerdictBy(
      ruleOf(state),
      current.map((item) => ({
        evidenceId: item.evidenceId,
        stance: item.stance,
        reliability: item.reliability,
        credibility: item.credibility,
        source: item.source,
      })),
      windowFactsOf(state),
    );
    verdict = { support: v.support, contradict: v.contradict, basis: v.basis, rule: v.rule, ...(v.reason ? { reason: v.reason } : {}) };
  }
  return {
    id: claimId,
    kind: claim.kind,
    statement: claim.statement,
    speaker: claim.speaker,
    madeAt: claim.madeAt,
    source: claim.source,
    topics: claim.topics,
    scope: claim.scope,
    status: state.status,
    verdict,
    evidence,
    statusHistory: state.statusHistory.map((h) => ({ status: h.status, at: h.recordedAt, position: h.position })),
    version: last.streamVersion,
    position: first.position,
    recordedAt: first.recordedAt,
    updatedAt: last.recordedAt,
    head: { position: last.position, hash: last.hash },
    publishedReview: publishedReviewView(state),
    reviewOutdated: reviewOutdated(state),
    ...(claim.scope?.until ? { windowClosedAt: state.windowClosed?.placed?.recordedAt ?? null } : {}),
  };
}

/** The review that stands, as the claim view shows it. */
export function publishedReviewView(state: ClaimState): PublishedReviewSchema | null {
  const r = publishedReview(state);
  if (!r) return null;
  return {
    reviewId: r.reviewId,
    rating: r.rating,
    explanation: r.explanation,
    publishedAt: r.decided?.recordedAt ?? '',
    proposedBy: r.proposedByName ?? '',
    approvedBy: r.decidedByName ?? '',
    claimVersion: r.claimVersion,
  };
}
