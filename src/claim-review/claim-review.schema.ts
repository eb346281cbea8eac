import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { EX, SEED_URL } from '../common/http/examples';
import type { ClaimKind, VerificationStatus } from '../domain/types';
import type { EventType } from '../domain/events';
import { CLAIM_REVIEW_CONTEXT, PLEDGE_TYPE_IRI, type TransparencyProofRef } from './transparency-proof';

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
  /** A pledge: claim-ledger's Pledge type IRI (schema.org has none); absent for a claim. */
  additionalType?: string;
}

export class ClaimReviewSchema {
  @ApiProperty({
    type: 'array',
    items: {},
    description: "schema.org, then claim-ledger's own terms (claimLedger, transparency and everything inside them) under urn:claim-ledger:ns:v1#",
    example: CLAIM_REVIEW_CONTEXT,
  })
  '@context'!: typeof CLAIM_REVIEW_CONTEXT;

  @ApiProperty({ example: 'ClaimReview' })
  '@type'!: string;

  @ApiProperty({ description: 'The node: the public page of the claim, #claim-review', example: `http://localhost:3000/claims/${EX.claimId}#claim-review` })
  '@id'!: string;

  @ApiProperty({ description: 'The public page of the claim (GET /claims/:id), under PUBLIC_BASE_URL', example: `http://localhost:3000/claims/${EX.claimId}` })
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
    description: `additionalType: ${PLEDGE_TYPE_IRI} for a pledge, absent for a claim`,
    example: { '@type': 'Claim', author: { '@type': 'Person', name: EX.speaker.name }, datePublished: EX.madeAt, appearance: { '@type': 'CreativeWork', url: SEED_URL }, additionalType: PLEDGE_TYPE_IRI },
  })
  itemReviewed!: ReviewedClaim;

  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    description:
      'claim-ledger terms: where the rating rests in the log (position, hash, eventType: the ReviewPublished event with a published review, else the VerificationStatusChanged), and the verdict numbers (support, contradict, basis, rule) with verdictFrom naming the VerificationStatusChanged event they are taken from',
  })
  claimLedger!: ClaimLedgerReference;

  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: true,
    description: "claim-ledger terms: the verdict event's place in the signed Merkle tree (eventType, position, eventHash, checkpoint {size, rootHash, origin}, proof, vkey, vkeyUrl); absent while the claim has no verdict event",
  })
  transparency?: TransparencyProofRef;
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
  /** The VerificationStatusChanged event that status, support, contradict, basis and rule are taken from (null: none yet). */
  verdictFrom: { eventType: 'VerificationStatusChanged'; position: number; hash: string } | null;
  feed: string;
  /** With a published review: the editor's review and where its ReviewPublished event sits in the log. */
  review?: { reviewId: string; rating: string; claimVersion: number; position: number; hash: string; machineStatus: string; reviewOutdated: boolean };
}

/** The review as sent (GET /api/claims/:id/claim-review, and embedded in GET /claims/:id). */
export type ClaimReview = ClaimReviewSchema;
