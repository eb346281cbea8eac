import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Controller, Get } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { ApiAccess } from '../../common/http/openapi';
import { ReadAccess } from '../../auth/roles';
import { verifyChain } from '../chain-verifier';
import { LedgerReader } from '../ledger-reader';
import { VerifyReportSchema } from '../verify-report.schema';
import { queryOf } from '../../projections/merkle-tree/queries';
import { StoredTreeCheck } from '../../projections/merkle-tree/tree-check';

@ApiTags('ledger')
@Controller('api/ledger')
export class LedgerController {
  constructor(
    private readonly reader: LedgerReader,
    private readonly ds: DataSource,
  ) {}

  /** Recomputes the whole hash chain from the stored rows, page by page, and the stored Merkle tree from it. */
  @Get('verify')
  @ReadAccess()
  @ApiOperation({
    summary: 'Recompute the whole hash chain and the stored Merkle tree',
    description:
      'ok:false with firstBadPosition on damage (still 200). Also recomputes the RFC 9162 Merkle tree from the events\' hashes and compares every stored subtree hash (docs/transparency.md). A chain rewritten together with its tree passes here: only signed checkpoints that others kept (verify-log, witnesses) catch that.',
  })
  @ApiAccess('read')
  @ApiOkResponse({ type: VerifyReportSchema })
  verify(): Promise<VerifyReportSchema> {
    return verifyChain(this.reader, 5000, [new StoredTreeCheck(queryOf(this.ds))]);
  }
}
