import { Module } from '@nestjs/common';
import { ClaimReviewController } from './claim-review.controller';
import { TransparencyModule } from '../transparency/transparency.module';

/** GET /api/claims/:id/claim-review (schema.org ClaimReview export). */
@Module({ imports: [TransparencyModule], controllers: [ClaimReviewController] })
export class ClaimReviewModule {}
