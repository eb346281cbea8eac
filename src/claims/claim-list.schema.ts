import { ApiProperty } from '@nestjs/swagger';
import { EX, PLEDGE_EXAMPLE } from '../common/http/examples';
import { SourceSchema, SpeakerSchema } from '../common/http/schemas';
import { CLAIM_KINDS, VERIFICATION_STATUSES, type ClaimKind, type VerificationStatus } from '../domain/types';

/**
 * A claim as GET /api/claims lists it: the claim as recorded, with its status and place in the
 * log. (The list is sent as JSON text spliced from the read model's rows, so no object of this
 * type is built; the claim view, which extends it, is.)
 */
export class ClaimListItemSchema {
  @ApiProperty({ format: 'uuid', example: EX.claimId })
  id!: string;

  @ApiProperty({ enum: CLAIM_KINDS, example: 'pledge' })
  kind!: ClaimKind;

  @ApiProperty({ example: EX.statement })
  statement!: string;

  @ApiProperty({ type: () => SpeakerSchema })
  speaker!: SpeakerSchema;

  @ApiProperty({ example: EX.madeAt })
  madeAt!: string;

  @ApiProperty({ type: () => SourceSchema })
  source!: SourceSchema;

  @ApiProperty({ type: [String], example: PLEDGE_EXAMPLE.topics })
  topics!: string[];

  @ApiProperty({ enum: VERIFICATION_STATUSES, example: 'contradicted' })
  status!: VerificationStatus;

  @ApiProperty({ example: 4, description: 'The claim stream version; GET /api/claims/:id also sends it as ETag: "4"' })
  version!: number;

  @ApiProperty({ example: 1 })
  position!: number;

  @ApiProperty({ example: '2022-03-30T09:00:00.000Z' })
  recordedAt!: string;

  @ApiProperty({ example: '2022-03-30T09:15:02.118Z' })
  updatedAt!: string;
}

export class ClaimPageSchema {
  @ApiProperty({ type: () => [ClaimListItemSchema] })
  items!: ClaimListItemSchema[];

  @ApiProperty({ type: String, nullable: true, example: 'eyJwIjoxfQ', description: 'Pass as ?cursor= for the next page; null on the last page' })
  nextCursor!: string | null;
}
