import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { EX } from '../common/http/examples';
import { RATINGS, VERIFICATION_STATUSES, type Rating, type VerificationStatus } from '../domain/types';
import type { ReviewState } from '../domain/claim.decider';

const REVIEW_STATES: ReviewState[] = ['proposed', 'published', 'rejected'];

/* Answers of the review routes (src/reviews/reviews.controller.ts), built in reviews.service.ts. */

export class ReviewProposedAnswerSchema {
  @ApiProperty({ format: 'uuid', example: EX.claimId })
  reviewId!: string;

  @ApiProperty({ enum: ['proposed'], example: 'proposed' })
  state!: 'proposed';
}

export class ReviewDecidedAnswerSchema {
  @ApiProperty({ format: 'uuid', example: EX.claimId })
  reviewId!: string;

  @ApiProperty({ enum: ['published', 'rejected'], example: 'published' })
  state!: 'published' | 'rejected';
}

export class ReviewSchema {
  @ApiProperty({ format: 'uuid', example: EX.claimId })
  reviewId!: string;

  @ApiProperty({ enum: RATINGS, example: 'contradicted' })
  rating!: Rating;

  @ApiProperty({ example: 'Two independent local reports of shelling near Chernihiv after the pledge.' })
  explanation!: string;

  @ApiProperty({ example: 4 })
  claimVersion!: number;

  @ApiProperty({ enum: VERIFICATION_STATUSES, example: 'contradicted', description: 'The machine status when it was proposed' })
  machineStatus!: VerificationStatus;

  @ApiProperty({ enum: REVIEW_STATES, example: 'published' })
  state!: ReviewState;

  @ApiProperty({ example: 'desk editor', description: 'Name of the key that proposed it' })
  proposedBy!: string;

  @ApiProperty({ example: '2022-03-31T09:00:00.000Z' })
  proposedAt!: string;

  @ApiProperty({ type: String, example: 'chief editor', nullable: true, description: 'Name of the key that approved or rejected it' })
  decidedBy!: string | null;

  @ApiProperty({ type: String, format: 'date-time', example: '2022-03-31T10:00:00.000Z', nullable: true })
  decidedAt!: string | null;

  @ApiPropertyOptional({ type: String, example: 'Checked both sources.', nullable: true })
  comment!: string | null;
}

export class ReviewListSchema {
  @ApiProperty({ type: () => [ReviewSchema], description: 'Newest first' })
  items!: ReviewSchema[];
}
