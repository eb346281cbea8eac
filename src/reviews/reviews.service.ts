import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { decideClaim, foldClaim, type ClaimCommand, type ReviewRecord } from '../domain/claim.decider';
import { ConcurrencyError, NotFoundError, StaleVersionError } from '../domain/errors';
import { claimStreamId, type EventMetadata } from '../domain/events';
import { EventStore } from '../ledger/event-store';
import { LedgerReader } from '../ledger/ledger-reader';
import type { ProposeReviewDto } from './review.dto';
import type { ReviewDecidedAnswerSchema, ReviewProposedAnswerSchema, ReviewSchema } from './review.schema';

/** How often an approval or rejection reads again after losing a race (the loser then sees the winner's event). */
const RACE_RETRIES = 10;

/** Editorial reviews (workflow v1): commands of the claim decider, events on the claim's stream. */
@Injectable()
export class ReviewsService {
  constructor(
    private readonly store: EventStore,
    private readonly reader: LedgerReader,
  ) {}

  async propose(claimId: string, dto: ProposeReviewDto, metadata: EventMetadata): Promise<ReviewProposedAnswerSchema> {
    const reviewId = randomUUID();
    const command: ClaimCommand = { type: 'ProposeReview', reviewId, rating: dto.rating, explanation: dto.explanation, claimVersion: dto.claimVersion };
    const events = await this.readClaim(claimId);
    const decided = decideClaim(command, foldClaim(events));
    try {
      await this.store.append({ streamId: claimStreamId(claimId), expectedVersion: events.length, events: decided, metadata });
    } catch (err) {
      // Something was appended between the read and the append: the claim is no longer at claimVersion.
      if (err instanceof ConcurrencyError) {
        throw new StaleVersionError(`the claim moved past version ${dto.claimVersion} meanwhile: look at it again and propose again`, 'claimVersion');
      }
      throw err;
    }
    return { reviewId, state: 'proposed' };
  }

  approve(claimId: string, reviewId: string, comment: string | undefined, metadata: EventMetadata): Promise<ReviewDecidedAnswerSchema> {
    const by = metadata.actor.kind === 'api-key' ? metadata.actor.id : `system:${metadata.actor.name}`;
    return this.decide(claimId, { type: 'ApproveReview', reviewId, by, ...(comment !== undefined ? { comment } : {}) }, metadata, 'published');
  }

  reject(claimId: string, reviewId: string, comment: string, metadata: EventMetadata): Promise<ReviewDecidedAnswerSchema> {
    return this.decide(claimId, { type: 'RejectReview', reviewId, comment }, metadata, 'rejected');
  }

  async list(claimId: string): Promise<ReviewSchema[]> {
    const state = foldClaim(await this.readClaim(claimId));
    return [...state.reviews].reverse().map(reviewView);
  }

  /** Decide on the stream as it is; a lost race reads again, so of two concurrent approvals exactly one wins (the other: 409). */
  private async decide(
    claimId: string,
    command: ClaimCommand,
    metadata: EventMetadata,
    state: 'published' | 'rejected',
  ): Promise<ReviewDecidedAnswerSchema> {
    for (let attempt = 0; ; attempt++) {
      const events = await this.readClaim(claimId);
      const decided = decideClaim(command, foldClaim(events));
      try {
        await this.store.append({ streamId: claimStreamId(claimId), expectedVersion: events.length, events: decided, metadata });
        return { reviewId: 'reviewId' in command ? command.reviewId : '', state };
      } catch (err) {
        if (!(err instanceof ConcurrencyError) || attempt >= RACE_RETRIES) throw err;
      }
    }
  }

  private async readClaim(claimId: string) {
    const events = await this.reader.readStream(claimStreamId(claimId));
    if (events.length === 0) throw new NotFoundError(`no claim with id ${claimId}`, 'id');
    return events;
  }
}

export function reviewView(r: ReviewRecord): ReviewSchema {
  return {
    reviewId: r.reviewId,
    rating: r.rating,
    explanation: r.explanation,
    claimVersion: r.claimVersion,
    machineStatus: r.machineStatus,
    state: r.state,
    proposedBy: r.proposedByName ?? '',
    proposedAt: r.proposed?.recordedAt ?? '',
    decidedBy: r.decidedByName,
    decidedAt: r.decided?.recordedAt ?? null,
    comment: r.comment,
  };
}
