import { Module } from '@nestjs/common';
import { ClaimReviewController } from './claim-review.controller';

/** GET /api/claims/:id/claim-review (schema.org ClaimReview export). */
@Module({ controllers: [ClaimReviewController] })
export class ClaimReviewModule {}
