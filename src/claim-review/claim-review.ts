import type { Rating, Speaker } from '../domain/types';
import type { ClaimRecordedData, StoredEventOf } from '../domain/events';
import type { ClaimReview, RatedStatus } from './claim-review.schema';
import { CLAIM_REVIEW_CONTEXT, PLEDGE_TYPE_IRI } from './transparency-proof';

/** reviewRating.ratingValue per status (bestRating 5, worstRating 1). */
export const RATING_VALUE: Readonly<Record<RatedStatus, number>> = Object.freeze({
  refuted: 1,
  contradicted: 2,
  disputed: 3,
  supported: 4,
  confirmed: 5,
});

/** The editor's published review (workflow v1), with where its ReviewPublished event sits. */
export interface PublishedReviewContext {
  reviewId: string;
  rating: Rating;
  explanation: string;
  claimVersion: number;
  machineStatus: string;
  reviewOutdated: boolean;
  published: StoredEventOf<'ReviewPublished'>;
}

export interface ClaimReviewContext {
  claimId: string;
  claim: ClaimRecordedData;
  /**
   * The VerificationStatusChanged event the current machine status rests on; without a published
   * review it must be a change to a rated status (never to unverified). Null: no status yet.
   */
  verdictEvent: StoredEventOf<'VerificationStatusChanged'> | null;
  /** With a published review, the review carries the editor's rating and explanation. */
  review?: PublishedReviewContext | null;
  orgName: string;
  orgUrl: string;
  publicBaseUrl: string;
}

/** The public, server-rendered page of a claim (GET /claims/:id): the ClaimReview's `url`. */
export function claimPageUrl(publicBaseUrl: string, claimId: string): string {
  return `${publicBaseUrl}/claims/${claimId}`;
}

/** Words that mark a speaker as an organisation rather than a person ("Kremlin", "Ministry of ..."). */
const ORGANISATION_WORDS =
  /\b(ministry|government|kremlin|office|department|agency|council|committee|commission|party|parliament|company|corporation|inc|ltd|llc|gmbh|association|union|institute|authority|administration|embassy|army|forces|police|press service|spokesperson's office|white house|united nations|nato|who)\b/i;

export function speakerType(speaker: Speaker): 'Person' | 'Organization' {
  return ORGANISATION_WORDS.test(speaker.name) ? 'Organization' : 'Person';
}

function compact<T extends Record<string, unknown>>(o: T): T {
  for (const k of Object.keys(o)) if (o[k] === undefined) delete o[k];
  return o;
}

/**
 * schema.org ClaimReview (JSON-LD) for a rated claim, as search engines and fact-check
 * aggregators read it, plus `claimLedger` (our own term): where in the hash-chained log the
 * rating rests, so a reader can check it against GET /api/events. Every URL in it is under
 * PUBLIC_BASE_URL; `url` is the claim's public page, which embeds this same document.
 */
export function buildClaimReview(ctx: ClaimReviewContext): ClaimReview {
  const { claim, verdictEvent, review } = ctx;
  const verdict = verdictEvent?.data ?? null;
  // The caller answers 409 for an unverified claim without a published review before building one.
  const status = (verdict?.to ?? 'unverified') as RatedStatus;
  const rating: RatedStatus | 'unverifiable' = review ? review.rating : status;
  const anchor = review ? review.published : verdictEvent!;
  const page = claimPageUrl(ctx.publicBaseUrl, ctx.claimId);
  const speakerKind = speakerType(claim.speaker);
  return {
    '@context': CLAIM_REVIEW_CONTEXT,
    '@type': 'ClaimReview',
    '@id': `${page}#claim-review`,
    url: page,
    claimReviewed: claim.statement,
    datePublished: review ? review.published.recordedAt : verdictEvent!.recordedAt,
    author: { '@type': 'Organization', name: ctx.orgName, url: ctx.orgUrl },
    reviewRating: {
      '@type': 'Rating',
      ...(rating === 'unverifiable' ? {} : { ratingValue: RATING_VALUE[rating] }),
      bestRating: 5,
      worstRating: 1,
      alternateName: rating,
    },
    ...(review ? { reviewBody: review.explanation } : {}),
    itemReviewed: {
      '@type': 'Claim',
      author: compact({
        '@type': speakerKind,
        name: claim.speaker.name,
        ...(claim.speaker.affiliation
          ? speakerKind === 'Person'
            ? { affiliation: { '@type': 'Organization', name: claim.speaker.affiliation } }
            : { parentOrganization: { '@type': 'Organization', name: claim.speaker.affiliation } }
          : {}),
      }),
      datePublished: claim.madeAt,
      appearance: compact({
        '@type': 'CreativeWork',
        url: claim.source.url,
        publisher: claim.source.publisher ? { '@type': 'Organization', name: claim.source.publisher } : undefined,
        datePublished: claim.source.publishedAt,
      }),
      ...(claim.kind === 'pledge' ? { additionalType: PLEDGE_TYPE_IRI } : {}),
    },
    claimLedger: {
      claimId: ctx.claimId,
      kind: claim.kind,
      status: verdict ? verdict.to : 'unverified',
      position: anchor.position,
      hash: anchor.hash,
      streamId: anchor.streamId,
      streamVersion: anchor.streamVersion,
      eventType: anchor.type,
      rule: verdict?.rule ?? 'verdict-v1',
      support: verdict?.support ?? 0,
      contradict: verdict?.contradict ?? 0,
      basis: verdict?.basis ?? [],
      verdictFrom: verdictEvent ? { eventType: 'VerificationStatusChanged', position: verdictEvent.position, hash: verdictEvent.hash } : null,
      feed: `${ctx.publicBaseUrl}/api/events?after=${anchor.position - 1}&limit=1`,
      ...(review
        ? {
            review: {
              reviewId: review.reviewId,
              rating: review.rating,
              claimVersion: review.claimVersion,
              position: review.published.position,
              hash: review.published.hash,
              machineStatus: review.machineStatus,
              reviewOutdated: review.reviewOutdated,
            },
          }
        : {}),
    },
  };
}
