import { ApiOkResponse, ApiOperation, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { Controller, ForbiddenException, Get, Query, Req, UseGuards } from '@nestjs/common';
import { IsIn, IsOptional } from 'class-validator';
import type { FastifyRequest } from 'fastify';
import { ApiAccess, ApiProblems } from '../../common/http/openapi';
import { ReadAccess, type Principal } from '../../auth/roles';
import { ChainVerifier } from '../chain-verifier';
import { VerifyReportSchema } from '../verify-report.schema';
import { VerifyRateLimitGuard } from './verify-rate-limit.guard';

export class VerifyQueryDto {
  @IsOptional()
  @IsIn(['true', 'false'], { message: 'full must be true or false' })
  @ApiPropertyOptional({ enum: ['true', 'false'], default: 'false', description: 'Admin key only: re-hash the whole chain from position 1' })
  full?: 'true' | 'false';
}

@ApiTags('ledger')
@Controller('api/ledger')
export class LedgerController {
  constructor(private readonly verifier: ChainVerifier) {}

  /** Verifies the hash chain and the stored Merkle tree (incrementally; the whole chain with an admin's ?full=true). */
  @Get('verify')
  @ReadAccess()
  @UseGuards(VerifyRateLimitGuard)
  @ApiOperation({
    summary: 'Verify the hash chain and the stored Merkle tree',
    description:
      'ok:false with firstBadPosition on damage (still 200). Events are hashed once: each call continues from the last ' +
      'verified position (and the stored RFC 9162 Merkle tree from its frontier there), an unchanged head is answered from ' +
      'the last result, and concurrent calls share one run. `?full=true` (admin key only; 403 otherwise) re-hashes the ' +
      'whole chain and recomputes the whole tree, as the background check does every CHAIN_FULL_VERIFY_MS: only a full ' +
      'walk sees an edit behind the verified position, and damage it finds is reported by every call until a full walk ' +
      'passes again (docs/security.md). Limited to VERIFY_RATE_LIMIT_PER_MINUTE calls per key or address. A chain ' +
      'rewritten together with its tree passes here: only signed checkpoints that others kept (verify-log, witnesses) ' +
      'catch that (docs/transparency.md).',
  })
  @ApiAccess('read')
  @ApiOkResponse({ type: VerifyReportSchema })
  @ApiProblems(400, 429)
  verify(@Query() query: VerifyQueryDto, @Req() req: FastifyRequest & { principal?: Principal }): Promise<VerifyReportSchema> {
    const full = query.full === 'true';
    if (full && req.principal?.role !== 'admin') {
      throw new ForbiddenException('full=true re-hashes the whole chain and needs an admin key; without it verify continues from the last verified position');
    }
    return this.verifier.verify({ full });
  }
}
