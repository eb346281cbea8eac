import { Module } from '@nestjs/common';
import { ClaimReviewController } from './claim-review.controller';
import { ClaimPageController } from './claim-page.controller';
import { ClaimReviewService } from './claim-review.service';
import { TransparencyModule } from '../transparency/transparency.module';

/** GET /api/claims/:id/claim-review (schema.org ClaimReview export) and GET /claims/:id (the claim's public page, which embeds it). */
@Module({ imports: [TransparencyModule], controllers: [ClaimReviewController, ClaimPageController], providers: [ClaimReviewService] })
export class ClaimReviewModule {}
