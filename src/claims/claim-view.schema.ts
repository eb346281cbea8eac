import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { EX } from '../common/http/examples';
import { HeadSchema, ScopeSchema, SourceSchema } from '../common/http/schemas';
import type { MatchRule } from '../domain/events';
import {
  RATINGS,
  RELIABILITIES,
  STANCES,
  VERIFICATION_STATUSES,
  type AttachedBy,
  type Credibility,
  type Rating,
  type Reliability,
  type Stance,
  type VerificationStatus,
} from '../domain/types';
import { ClaimListItemSchema } from './claim-list.schema';

/* GET /api/claims/:id: the claim view that buildClaimView (claim-view.ts) builds. */

export class VerdictSchema {
  @ApiProperty({ example: 0, description: 'Weighted support' })
  support!: number;

  @ApiProperty({ example: 1, description: 'Weighted contradiction' })
  contradict!: number;

  @ApiProperty({ type: [String], example: [EX.evidenceId], description: 'Evidence ids the status rests on' })
  basis!: string[];

  @ApiProperty({ example: 'verdict-v1', description: 'verdict-v1, or verdict-v2 once a pledge\'s window has closed' })
  rule!: string;

  @ApiPropertyOptional({ example: 'window-closed-without-contrary-reports', description: 'verdict-v2 only: why, as a code' })
  reason?: string;
}

/** The editor's rating that stands (workflow v1): proposed by one key, approved by another. */
export class PublishedReviewSchema {
  @ApiProperty({ format: 'uuid', example: EX.claimId })
  reviewId!: string;

  @ApiProperty({ enum: RATINGS, example: 'contradicted' })
  rating!: Rating;

  @ApiProperty({ example: 'Local officials reported heavy shelling near Chernihiv after the pledge.' })
  explanation!: string;

  @ApiProperty({ example: '2022-03-31T10:00:00.000Z' })
  publishedAt!: string;

  @ApiProperty({ example: 'desk editor', description: 'Name of the API key that proposed it' })
  proposedBy!: string;

  @ApiProperty({ example: 'chief editor', description: 'Name of the API key that approved it (never the proposer)' })
  approvedBy!: string;

  @ApiProperty({ example: 4, description: 'The claim version the rating was given at' })
  claimVersion!: number;
}

export class ClaimEvidenceItemSchema {
  @ApiProperty({ format: 'uuid', example: EX.evidenceId })
  evidenceId!: string;

  @ApiProperty({ enum: STANCES, example: 'contradicts' })
  stance!: Stance;

  @ApiProperty({ enum: ['checker', 'matcher'], example: 'checker' })
  attachedBy!: AttachedBy;

  @ApiProperty({ example: EX.evidenceSummary })
  summary!: string;

  @ApiProperty({ type: () => SourceSchema })
  source!: SourceSchema;

  @ApiProperty({ enum: RELIABILITIES, example: 'B' })
  reliability!: Reliability;

  // type given: swc (the tests' compiler) emits no runtime type for the Credibility alias.
  @ApiProperty({ type: Number, minimum: 1, maximum: 6, example: 2 })
  credibility!: Credibility;

  @ApiProperty({ example: EX.observedAt })
  observedAt!: string;

  @ApiProperty({ example: false })
  retracted!: boolean;

  @ApiPropertyOptional({ example: true, description: 'false once detached (after a retraction)' })
  attached?: boolean;

  @ApiPropertyOptional({ example: '2022-03-30T09:15:02.118Z' })
  attachedAt?: string;

  @ApiPropertyOptional({ example: 3 })
  attachedPosition?: number;

  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: true,
    description: 'For matcher attachments: which scope place and indicator matched',
    example: { name: 'scope-match-v1', place: 'Chernihiv', indicator: 'shelling', by: 'name' },
  })
  rule?: MatchRule;
}

export class StatusHistoryItemSchema {
  @ApiProperty({ enum: VERIFICATION_STATUSES, example: 'contradicted' })
  status!: VerificationStatus;

  @ApiProperty({ example: '2022-03-30T09:15:02.118Z' })
  at!: string;

  @ApiProperty({ example: 4 })
  position!: number;
}

/** The claim view: a list item plus its scope, verdict, evidence and status history. */
export class ClaimViewSchema extends ClaimListItemSchema {
  @ApiProperty({ type: () => ScopeSchema, nullable: true, description: 'Pledges only; null for claims' })
  scope!: ScopeSchema | null;

  @ApiProperty({ type: () => VerdictSchema })
  verdict!: VerdictSchema;

  @ApiProperty({ type: () => [ClaimEvidenceItemSchema] })
  evidence!: ClaimEvidenceItemSchema[];

  @ApiProperty({ type: () => [StatusHistoryItemSchema] })
  statusHistory!: StatusHistoryItemSchema[];

  @ApiPropertyOptional({ type: () => HeadSchema, description: 'The last event of the claim stream' })
  head?: HeadSchema;

  @ApiProperty({ type: () => PublishedReviewSchema, nullable: true, description: "The editor's published rating (null until one is published)" })
  publishedReview!: PublishedReviewSchema | null;

  @ApiProperty({ example: false, description: "true when the machine status has changed since the published review's claimVersion" })
  reviewOutdated!: boolean;

  @ApiPropertyOptional({ type: String, format: 'date-time', example: '2022-04-30T00:00:00.000Z', nullable: true, description: 'Pledges with scope.until: when the window closed (ScopeWindowClosed), null while open' })
  windowClosedAt?: string | null;
}
