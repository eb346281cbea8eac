import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { EX, SEED_URL } from '../common/http/examples';
import type { ClaimKind, VerificationStatus } from '../domain/types';
import type { EventType } from '../domain/events';

/* GET /api/claims/:id/claim-review: the schema.org ClaimReview that buildClaimReview builds. */

/** A status a review can publish: every status but unverified (which answers 409). */
export type RatedStatus = Exclude<VerificationStatus, 'unverified'>;

export interface SchemaOrgOrganization {
  '@type': 'Organization';
  name: string;
  url?: string;
}

export interface ClaimReviewRating {
  '@type': 'Rating';
  /** Absent for an editor's `unverifiable` rating, which has no place on the scale. */
  ratingValue?: number;
  bestRating: number;
  worstRating: number;
  alternateName: RatedStatus | 'unverifiable';
}

export interface ReviewedClaim {
  '@type': 'Claim';
  author: {
    '@type': 'Person' | 'Organization';
    name: string;
    affiliation?: SchemaOrgOrganization;
    parentOrganization?: SchemaOrgOrganization;
  };
  datePublished: string;
  appearance: { '@type': 'CreativeWork'; url: string; publisher?: SchemaOrgOrganization; datePublished?: string };
  additionalType?: 'Pledge';
}

export class ClaimReviewSchema {
  @ApiProperty({ example: 'https://schema.org' })
  '@context'!: string;

  @ApiProperty({ example: 'ClaimReview' })
  '@type'!: string;

  @ApiProperty({ example: `http://localhost:3000/api/claims/${EX.claimId}` })
  url!: string;

  @ApiProperty({ example: EX.statement })
  claimReviewed!: string;

  @ApiProperty({ example: '2022-03-30T09:15:02.118Z' })
  datePublished!: string;

  @ApiProperty({ type: 'object', additionalProperties: true, example: { '@type': 'Organization', name: 'claim-ledger', url: 'http://localhost:3000' } })
  author!: SchemaOrgOrganization;

  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    description: 'ratingValue: refuted 1, contradicted 2, disputed 3, supported 4, confirmed 5',
    example: { '@type': 'Rating', ratingValue: 2, bestRating: 5, worstRating: 1, alternateName: 'contradicted' },
  })
  reviewRating!: ClaimReviewRating;

  @ApiPropertyOptional({ example: 'Two independent local reports of shelling near Chernihiv after the pledge.', description: "The editor's explanation (with a published review)" })
  reviewBody?: string;

  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    example: { '@type': 'Claim', author: { '@type': 'Person', name: EX.speaker.name }, datePublished: EX.madeAt, appearance: { '@type': 'CreativeWork', url: SEED_URL } },
  })
  itemReviewed!: ReviewedClaim;
}

/** Where in the hash-chained log the verdict is recorded, so a reader can check it against GET /api/events. */
export interface ClaimLedgerReference {
  claimId: string;
  kind: ClaimKind;
  /** The machine status (verdict rule) when the review was built. */
  status: RatedStatus | 'unverified';
  position: number;
  hash: string;
  streamId: string;
  streamVersion: number;
  eventType: EventType;
  rule: string;
  support: number;
  contradict: number;
  basis: string[];
  feed: string;
  /** With a published review: the editor's review and where its ReviewPublished event sits in the log. */
  review?: { reviewId: string; rating: string; claimVersion: number; position: number; hash: string; machineStatus: string; reviewOutdated: boolean };
}

/**
 * The review as sent: the documented members plus `@id` and `claimLedger`, which the OpenAPI
 * document does not describe (yet); adding them there changes the published document.
 */
export type ClaimReview = ClaimReviewSchema & { '@id': string; claimLedger: ClaimLedgerReference };
