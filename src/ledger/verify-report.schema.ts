import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { HeadSchema } from '../common/http/schemas';

/** GET /api/ledger/verify: what verifyChain (chain-verifier.ts) reports, typed by this. */
export class VerifyReportSchema {
  @ApiProperty({ example: true })
  ok!: boolean;

  @ApiProperty({
    example: 4,
    description:
      'Events the answer vouches for (positions 1..checked): re-hashed by this walk or, for an incremental answer, by an earlier one',
  })
  checked!: number;

  @ApiProperty({ type: () => HeadSchema })
  head!: HeadSchema;

  @ApiPropertyOptional({ example: 3, description: 'Only when ok is false' })
  firstBadPosition?: number;

  @ApiPropertyOptional({ example: 'hash does not match the event', description: 'Only when ok is false' })
  problem?: string;
}
