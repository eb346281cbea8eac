import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { NotFoundError } from '../domain/errors';
import { claimStreamId, evidenceStreamId, type StoredEvent, type StoredEventOf } from '../domain/events';
import { foldClaim, publishedReview, reviewOutdated, type ClaimState } from '../domain/claim.decider';
import { LedgerReader } from '../ledger/ledger-reader';
import { buildClaimView, type ClaimView } from '../claims/claim-view';
import { TransparencyService } from '../transparency/transparency.service';
import { buildClaimReview } from './claim-review';
import type { ClaimReview } from './claim-review.schema';
import { withTransparencyProof } from './transparency-proof';

const isStatusChange = (e: StoredEvent): e is StoredEventOf<'VerificationStatusChanged'> => e.type === 'VerificationStatusChanged';

/** A ClaimReview, or why there is none yet (the JSON route answers 409 with it; the page says it). */
export type ClaimReviewOutcome = { review: ClaimReview; notRated: null } | { review: null; notRated: string };

/** What the public page shows: the claim view and its ClaimReview, from one read of the claim's stream. */
export interface ClaimPageData {
  view: ClaimView;
  outcome: ClaimReviewOutcome;
  /** The claim stream's version (the page's ETag). */
  version: number;
}

/** Builds the ClaimReview of a claim (GET /api/claims/:id/claim-review) and the data of its public page (GET /claims/:id). */
@Injectable()
export class ClaimReviewService {
  constructor(
    private readonly reader: LedgerReader,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly transparency: TransparencyService,
  ) {}

  private async claimEvents(id: string): Promise<StoredEvent[]> {
    const events = await this.reader.readStream(claimStreamId(id));
    if (events[0]?.type !== 'ClaimRecorded') throw new NotFoundError(`no claim with id ${id}`, 'id');
    return events;
  }

  async review(id: string): Promise<{ outcome: ClaimReviewOutcome; version: number }> {
    const events = await this.claimEvents(id);
    return { outcome: await this.reviewOf(id, events, foldClaim(events)), version: events[events.length - 1].streamVersion };
  }

  async page(id: string): Promise<ClaimPageData> {
    const events = await this.claimEvents(id);
    const state = foldClaim(events);
    const evidenceIds = Object.keys(state.seen);
    const streams = await this.reader.readStreams(evidenceIds.map(evidenceStreamId));
    const byEvidence = new Map<string, StoredEvent[]>();
    for (const eid of evidenceIds) byEvidence.set(eid, streams.get(evidenceStreamId(eid)) ?? []);
    const view = buildClaimView(id, events, byEvidence, state);
    if (!view) throw new NotFoundError(`no claim with id ${id}`, 'id');
    return { view, outcome: await this.reviewOf(id, events, state), version: view.version };
  }

  /**
   * Workflow v1: a published editor's review is what ClaimReview carries; without one, the
   * machine verdict, unless REVIEW_REQUIRED (then none until a review is published).
   */
  private async reviewOf(id: string, events: StoredEvent[], state: ClaimState): Promise<ClaimReviewOutcome> {
    const recorded = events[0] as StoredEventOf<'ClaimRecorded'>;
    const verdictEvent = [...events].reverse().find(isStatusChange) ?? null;
    const published = publishedReview(state);
    const publishedEvent = published ? events.find((e): e is StoredEventOf<'ReviewPublished'> => e.type === 'ReviewPublished' && e.data.reviewId === published.reviewId) : undefined;
    if (!published || !publishedEvent) {
      if (this.config.reviewRequired) {
        return { review: null, notRated: `claim ${id} has no published review yet (REVIEW_REQUIRED): an editor proposes one and another approves it` };
      }
      if (!verdictEvent || verdictEvent.data.to === 'unverified') {
        return { review: null, notRated: `claim ${id} is not yet rated: it has no attached, unretracted evidence, so there is no verdict to publish` };
      }
    }
    const review = buildClaimReview({
      claimId: id,
      claim: recorded.data,
      verdictEvent,
      review:
        published && publishedEvent
          ? {
              reviewId: published.reviewId,
              rating: published.rating,
              explanation: published.explanation,
              claimVersion: published.claimVersion,
              machineStatus: state.status,
              reviewOutdated: reviewOutdated(state),
              published: publishedEvent,
            }
          : null,
      orgName: this.config.orgName,
      orgUrl: this.config.orgUrl,
      publicBaseUrl: this.config.publicBaseUrl,
    });
    // Issue 12: the verdict's place in the signed tree, in our own JSON-LD namespace (transparency-proof.ts).
    if (!verdictEvent) return { review, notRated: null };
    const cp = await this.transparency.checkpointCovering(verdictEvent.position);
    return {
      review: withTransparencyProof(review, {
        eventType: 'VerificationStatusChanged',
        position: verdictEvent.position,
        eventHash: verdictEvent.hash,
        checkpoint: cp ? { size: cp.size, rootHash: cp.rootHash, origin: this.transparency.signer.origin } : null,
        proof: `${this.config.publicBaseUrl}/api/claims/${id}/proof`,
        vkey: this.transparency.signer.key.vkey,
        vkeyUrl: `${this.config.publicBaseUrl}/api/checkpoint/key`,
      }),
      notRated: null,
    };
  }
}
