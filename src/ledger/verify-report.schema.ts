import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { HeadSchema } from '../common/http/schemas';

/** GET /api/ledger/verify: what verifyChain (chain-verifier.ts) reports, typed by this. */
export class VerifyReportSchema {
  @ApiProperty({ example: true })
  ok!: boolean;

  @ApiProperty({ example: 4, description: 'Events whose hash was recomputed' })
  checked!: number;

  @ApiProperty({ type: () => HeadSchema })
  head!: HeadSchema;

  @ApiPropertyOptional({ example: 3, description: 'Only when ok is false' })
  firstBadPosition?: number;

  @ApiPropertyOptional({ example: 'hash does not match the event', description: 'Only when ok is false' })
  problem?: string;
}
