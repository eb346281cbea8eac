import { ApiProperty } from '@nestjs/swagger';
import { EX } from '../common/http/examples';
import { CLAIM_KINDS, type ClaimKind } from '../domain/types';

/** POST /api/claims: the claim just recorded (ClaimsService's answer is this type). */
export class ClaimCreatedSchema {
  @ApiProperty({ format: 'uuid', example: EX.claimId })
  id!: string;

  @ApiProperty({ enum: CLAIM_KINDS, example: 'pledge' })
  kind!: ClaimKind;

  @ApiProperty({ example: 1, description: 'Stream version; send it back as If-Match: "1"' })
  version!: number;

  @ApiProperty({ enum: ['unverified'], example: 'unverified' })
  status!: 'unverified';

  @ApiProperty({ example: 1, description: 'Ledger position of the ClaimRecorded event' })
  position!: number;
}
