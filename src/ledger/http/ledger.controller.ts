import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Controller, Get } from '@nestjs/common';
import { ApiAccess } from '../../common/http/openapi';
import { ReadAccess } from '../../auth/roles';
import { verifyChain } from '../chain-verifier';
import { LedgerReader } from '../ledger-reader';
import { VerifyReportSchema } from '../verify-report.schema';

@ApiTags('ledger')
@Controller('api/ledger')
export class LedgerController {
  constructor(private readonly reader: LedgerReader) {}

  /** Recomputes the whole hash chain from the stored rows, page by page. */
  @Get('verify')
  @ReadAccess()
  @ApiOperation({ summary: 'Recompute the whole hash chain', description: 'ok:false with firstBadPosition on damage (still 200).' })
  @ApiAccess('read')
  @ApiOkResponse({ type: VerifyReportSchema })
  verify(): Promise<VerifyReportSchema> {
    return verifyChain(this.reader);
  }
}
