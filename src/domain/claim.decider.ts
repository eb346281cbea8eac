import type { AttachedBy, Rating, Stance, VerificationStatus } from './types';
import { ConflictError, ForbiddenError, InvalidCommandError, NotFoundError, StaleVersionError } from './errors';
import type { ClaimRecordedData, MatchRule, NewEvent, StoredEvent } from './events';
import { VERDICT_RULE, VERDICT_RULE_V2, computeVerdictBy, type EvidenceFact, type WindowFacts } from './verdict';

/** The Claim aggregate (stream `claim-<id>`): a pure decider, with clock and ids passed in. */
export interface Attachment {
  stance: Stance;
  attachedBy: AttachedBy;
}

/** Where an event sits in the log; absent while a decider's events are not stored yet. */
export interface Placement {
  position: number;
  recordedAt: string;
}

/** One piece ever attached to the claim, in order of attachment (for the view and the timeline). */
export interface AttachmentRecord extends Attachment {
  evidenceId: string;
  rule?: MatchRule;
  /** Still attached (false once detached). */
  attached: boolean;
  /** Where the EvidenceAttached event sits; null for events not stored yet. */
  placed: Placement | null;
}

/** The numbers behind the last recorded status (the rule's output as the log holds it). */
export interface RecordedVerdict {
  support: number;
  contradict: number;
  basis: string[];
  rule: string;
  /** verdict-v2's reason code; absent for verdict-v1. */
  reason?: string;
}

export type ReviewState = 'proposed' | 'published' | 'rejected';

/** One editorial review (workflow v1), as the claim's stream tells it. */
export interface ReviewRecord {
  reviewId: string;
  rating: Rating;
  explanation: string;
  claimVersion: number;
  machineStatus: VerificationStatus;
  state: ReviewState;
  /** The key (metadata.actor id) that proposed it; null for events not stored yet. */
  proposedBy: string | null;
  proposedByName: string | null;
  proposed: Placement | null;
  /** Who approved or rejected it, when, and with what comment. */
  decidedBy: string | null;
  decidedByName: string | null;
  decided: Placement | null;
  comment: string | null;
}

/** verdict-v2: the pledge's window closed (ScopeWindowClosed). */
export interface WindowClosure {
  at: string;
  support: number;
  contradict: number;
  placed: Placement | null;
}

/**
 * A claim's stream, folded once: what the decider needs (exists, attached, seen, status) and
 * what the claim view and the timeline show (the pieces in order, the recorded verdict, the
 * status history and where the stream starts and ends). One fold serves all three.
 */
export interface ClaimState {
  exists: boolean;
  claim: ClaimRecordedData | null;
  /** Attached and not detached. */
  attached: Record<string, Attachment>;
  /**
   * Every evidence id that was ever attached: a detached piece is never attached again, except
   * one detached with reason `revised` (its import revision stopped matching; a later one may match again).
   */
  seen: Record<string, true>;
  status: VerificationStatus;
  /** The last VerificationStatusChanged's numbers (zeros before any). */
  verdict: RecordedVerdict;
  /** Every attachment, in the order the pieces were first attached. */
  attachments: AttachmentRecord[];
  /** The status after ClaimRecorded and after each change; entries of stored events only. */
  statusHistory: Array<{ status: VerificationStatus } & Placement>;
  /** The stream's first and last stored events (null while nothing is stored). */
  first: Placement | null;
  last: (Placement & { streamVersion: number; hash: string }) | null;
  /** Events folded so far: the stream's version (also for events not stored yet). */
  version: number;
  /** The version of the last event that is not a review event (what a review's claimVersion must still be). */
  contentVersion: number;
  /** The version of the last VerificationStatusChanged (0: none). */
  statusVersion: number;
  /** Reviews in the order they were proposed. */
  reviews: ReviewRecord[];
  /** The review published last (the one that stands), or null. */
  publishedReviewId: string | null;
  /** verdict-v2: set once the pledge's window has closed. */
  windowClosed: WindowClosure | null;
}

export const initialClaimState: ClaimState = {
  exists: false,
  claim: null,
  attached: {},
  seen: {},
  status: 'unverified',
  verdict: { support: 0, contradict: 0, basis: [], rule: VERDICT_RULE },
  attachments: [],
  statusHistory: [],
  first: null,
  last: null,
  version: 0,
  contentVersion: 0,
  statusVersion: 0,
  reviews: [],
  publishedReviewId: null,
  windowClosed: null,
};

export type ClaimCommand =
  | { type: 'RecordClaim'; claim: ClaimRecordedData }
  | {
      type: 'AttachEvidence';
      evidenceId: string;
      stance: Stance;
      attachedBy: AttachedBy;
      rule?: MatchRule;
      /** Facts of every piece that will be attached after this one (this one included). */
      facts: Record<string, EvidenceFact>;
    }
  | {
      type: 'DetachEvidence';
      evidenceId: string;
      reason: 'retracted' | 'revised';
      /** Facts of every piece still attached after this one goes. */
      facts: Record<string, EvidenceFact>;
    }
  | {
      /** verdict-v2: the scope window closed at `at` (= scope.until); judged again with verdict-v2. */
      type: 'CloseScopeWindow';
      at: string;
      /** The time now (clock passed in): a window is closed only once `until` has passed. */
      now: string;
      /** Facts of every piece attached now. */
      facts: Record<string, EvidenceFact>;
    }
  | {
      type: 'ProposeReview';
      reviewId: string;
      rating: Rating;
      explanation: string;
      /** The claim's version the editor looked at: must be the stream's version now. */
      claimVersion: number;
    }
  | {
      type: 'ApproveReview';
      reviewId: string;
      /** The approving key (metadata.actor id): never the proposer's (two-person rule). */
      by: string;
      comment?: string;
    }
  | { type: 'RejectReview'; reviewId: string; comment: string };

export function decideClaim(command: ClaimCommand, state: ClaimState): NewEvent[] {
  switch (command.type) {
    case 'RecordClaim': {
      if (state.exists) throw new ConflictError('the claim is already recorded');
      if (command.claim.scope && command.claim.kind !== 'pledge') {
        throw new InvalidCommandError('scope is accepted only on pledges (kind "pledge")', 'scope');
      }
      return [{ type: 'ClaimRecorded', data: command.claim }];
    }
    case 'AttachEvidence': {
      if (!state.exists) throw new NotFoundError('no such claim');
      if (state.seen[command.evidenceId]) return []; // attached before: at most once, however often asked
      const remaining = { ...state.attached, [command.evidenceId]: { stance: command.stance, attachedBy: command.attachedBy } };
      const attachedEvent: NewEvent = {
        type: 'EvidenceAttached',
        data: {
          evidenceId: command.evidenceId,
          stance: command.stance,
          attachedBy: command.attachedBy,
          ...(command.rule ? { rule: command.rule } : {}),
        },
      };
      return [attachedEvent, ...statusChange(state, remaining, command.facts)];
    }
    case 'DetachEvidence': {
      if (!state.exists) throw new NotFoundError('no such claim');
      if (!state.attached[command.evidenceId]) return [];
      const remaining = { ...state.attached };
      delete remaining[command.evidenceId];
      return [
        { type: 'EvidenceDetached', data: { evidenceId: command.evidenceId, reason: command.reason } },
        ...statusChange(state, remaining, command.facts),
      ];
    }
    case 'CloseScopeWindow': {
      if (!state.exists) throw new NotFoundError('no such claim');
      const until = state.claim?.scope?.until;
      if (state.claim?.kind !== 'pledge' || !until) throw new InvalidCommandError('only a pledge whose scope has `until` has a window to close', 'scope.until');
      if (state.windowClosed) return []; // exactly once, however often asked
      if (Date.parse(command.now) < Date.parse(until)) throw new InvalidCommandError(`the window stays open until ${until}`, 'scope.until');
      const closing: ClaimState = { ...state, windowClosed: { at: command.at, support: 0, contradict: 0, placed: null } };
      const weights = verdictOf(closing, state.attached, command.facts);
      return [
        { type: 'ScopeWindowClosed', data: { at: command.at, support: weights.support, contradict: weights.contradict } },
        ...statusChange(closing, state.attached, command.facts),
      ];
    }
    case 'ProposeReview': {
      if (!state.exists) throw new NotFoundError('no such claim', 'id');
      if (state.reviews.some((r) => r.reviewId === command.reviewId)) throw new ConflictError('a review with this id exists', 'reviewId');
      if (command.claimVersion !== state.version) {
        throw new StaleVersionError(`the claim is at version ${state.version}, not ${command.claimVersion}: look at it again and propose again`, 'claimVersion');
      }
      return [
        {
          type: 'ReviewProposed',
          data: {
            reviewId: command.reviewId,
            rating: command.rating,
            explanation: command.explanation,
            claimVersion: command.claimVersion,
            machineStatus: state.status,
          },
        },
      ];
    }
    case 'ApproveReview': {
      const review = reviewOf(state, command.reviewId);
      if (review.state !== 'proposed') throw new ConflictError(`review ${review.reviewId} is ${review.state}, not proposed`, 'reviewId');
      if (review.proposedBy !== null && review.proposedBy === command.by) {
        throw new ForbiddenError('two-person rule: a review is approved by someone other than the editor who proposed it');
      }
      if (state.contentVersion > review.claimVersion) {
        throw new StaleVersionError(
          `the claim has changed since version ${review.claimVersion} that the review rates (now ${state.version}): propose again`,
          'claimVersion',
        );
      }
      return [{ type: 'ReviewPublished', data: { reviewId: review.reviewId, ...(command.comment !== undefined ? { comment: command.comment } : {}) } }];
    }
    case 'RejectReview': {
      const review = reviewOf(state, command.reviewId);
      if (review.state !== 'proposed') throw new ConflictError(`review ${review.reviewId} is ${review.state}, not proposed`, 'reviewId');
      return [{ type: 'ReviewRejected', data: { reviewId: review.reviewId, comment: command.comment } }];
    }
  }
}

function reviewOf(state: ClaimState, reviewId: string): ReviewRecord {
  if (!state.exists) throw new NotFoundError('no such claim', 'id');
  const review = state.reviews.find((r) => r.reviewId === reviewId);
  if (!review) throw new NotFoundError(`no review ${reviewId} on this claim`, 'rid');
  return review;
}

/** The review that stands (published last), or null. */
export function publishedReview(state: ClaimState): ReviewRecord | null {
  return state.reviews.find((r) => r.reviewId === state.publishedReviewId) ?? null;
}

/** True when the machine status changed after the version the published review rated. */
export function reviewOutdated(state: ClaimState): boolean {
  const published = publishedReview(state);
  return published !== null && state.statusVersion > published.claimVersion;
}

/** The rule a claim's status follows now: verdict-v2 once its window has closed. */
export function ruleOf(state: ClaimState): string {
  return state.windowClosed ? VERDICT_RULE_V2 : VERDICT_RULE;
}

export function windowFactsOf(state: ClaimState): WindowFacts {
  return { closed: state.windowClosed !== null, expectation: state.claim?.scope?.expectation ?? null };
}

function verdictOf(state: ClaimState, attached: Record<string, Attachment>, facts: Record<string, EvidenceFact>) {
  const used: EvidenceFact[] = Object.entries(attached).map(([id, a]) => {
    const fact = facts[id];
    if (!fact) throw new Error(`facts for attached evidence ${id} were not supplied`);
    // The stance is the attachment's (a report's stance comes from the pledge it matched).
    return { ...fact, evidenceId: id, stance: a.stance };
  });
  return computeVerdictBy(ruleOf(state), used, windowFactsOf(state));
}

/** The claim's rule (verdict-v1, or verdict-v2 once its window closed) over what stays attached; an event only when the status moves. */
function statusChange(state: ClaimState, attached: Record<string, Attachment>, facts: Record<string, EvidenceFact>): NewEvent[] {
  const verdict = verdictOf(state, attached, facts);
  if (verdict.status === state.status) return [];
  return [
    {
      type: 'VerificationStatusChanged',
      data: {
        from: state.status,
        to: verdict.status,
        support: verdict.support,
        contradict: verdict.contradict,
        basis: verdict.basis,
        rule: verdict.rule,
        ...(verdict.reason ? { reason: verdict.reason } : {}),
      },
    },
  ];
}

const REVIEW_EVENTS: ReadonlySet<string> = new Set(['ReviewProposed', 'ReviewPublished', 'ReviewRejected']);
/** The event types a claim's stream holds (others leave the state as it is). */
const CLAIM_EVENTS: ReadonlySet<string> = new Set([
  'ClaimRecorded',
  'EvidenceAttached',
  'EvidenceDetached',
  'VerificationStatusChanged',
  'ScopeWindowClosed',
  ...REVIEW_EVENTS,
]);

export function evolveClaim(state: ClaimState, event: NewEvent | StoredEvent): ClaimState {
  if (!CLAIM_EVENTS.has(event.type)) return state;
  const placed: Placement | null = 'position' in event ? { position: event.position, recordedAt: event.recordedAt } : null;
  const version = state.version + 1;
  const versioned: ClaimState = { ...state, version, contentVersion: REVIEW_EVENTS.has(event.type) ? state.contentVersion : version };
  const next = placed && 'hash' in event ? { ...versioned, last: { ...placed, streamVersion: event.streamVersion, hash: event.hash } } : versioned;
  const actor = 'metadata' in event ? event.metadata.actor : null;
  const actorId = actor ? (actor.kind === 'api-key' ? actor.id : `system:${actor.name}`) : null;
  switch (event.type) {
    case 'ClaimRecorded':
      return {
        ...next,
        exists: true,
        claim: event.data,
        first: placed,
        statusHistory: placed ? [{ status: 'unverified', ...placed }] : [],
      };
    case 'EvidenceAttached': {
      const { evidenceId, stance, attachedBy, rule } = event.data;
      const record: AttachmentRecord = { evidenceId, stance, attachedBy, ...(rule ? { rule } : {}), attached: true, placed };
      return {
        ...next,
        attached: { ...state.attached, [evidenceId]: { stance, attachedBy } },
        seen: { ...state.seen, [evidenceId]: true },
        // A piece attached again (after a `revised` detach, or in a hand-made log) keeps its first place.
        attachments: state.attachments.some((a) => a.evidenceId === evidenceId)
          ? state.attachments.map((a) => (a.evidenceId === evidenceId ? record : a))
          : [...state.attachments, record],
      };
    }
    case 'EvidenceDetached': {
      const { evidenceId, reason } = event.data;
      const attached = { ...state.attached };
      delete attached[evidenceId];
      const attachments = state.attachments.map((a) => (a.evidenceId === evidenceId ? { ...a, attached: false } : a));
      if (reason !== 'revised') return { ...next, attached, attachments };
      const seen = { ...state.seen };
      delete seen[evidenceId];
      return { ...next, attached, attachments, seen };
    }
    case 'VerificationStatusChanged': {
      const { to, support, contradict, basis, rule, reason } = event.data;
      return {
        ...next,
        status: to,
        statusVersion: version,
        verdict: { support, contradict, basis, rule, ...(reason ? { reason } : {}) },
        statusHistory: placed ? [...state.statusHistory, { status: to, ...placed }] : state.statusHistory,
      };
    }
    case 'ScopeWindowClosed': {
      const { at, support, contradict } = event.data;
      return { ...next, windowClosed: { at, support, contradict, placed } };
    }
    case 'ReviewProposed': {
      const d = event.data;
      const record: ReviewRecord = {
        reviewId: d.reviewId,
        rating: d.rating,
        explanation: d.explanation,
        claimVersion: d.claimVersion,
        machineStatus: d.machineStatus,
        state: 'proposed',
        proposedBy: actorId,
        proposedByName: actor?.name ?? null,
        proposed: placed,
        decidedBy: null,
        decidedByName: null,
        decided: null,
        comment: null,
      };
      return { ...next, reviews: [...state.reviews, record] };
    }
    case 'ReviewPublished':
    case 'ReviewRejected': {
      const { reviewId, comment } = event.data;
      const published = event.type === 'ReviewPublished';
      const reviews = state.reviews.map((r) =>
        r.reviewId === reviewId
          ? { ...r, state: (published ? 'published' : 'rejected') as ReviewState, decidedBy: actorId, decidedByName: actor?.name ?? null, decided: placed, comment: comment ?? null }
          : r,
      );
      return { ...next, reviews, publishedReviewId: published ? reviewId : state.publishedReviewId };
    }
    default:
      return next;
  }
}

export function foldClaim(events: Array<NewEvent | StoredEvent>): ClaimState {
  return events.reduce(evolveClaim, initialClaimState);
}
