import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiAccess } from '../ops/openapi/decorators';
import { VerifyReportSchema } from '../ops/openapi/schemas';
import { Controller, Get } from '@nestjs/common';
import { ReadAccess } from '../auth/roles';
import { verifyChain } from './chain-verifier';
import { LedgerReader } from './ledger-reader';

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
  verify() {
    return verifyChain(this.reader);
  }
}
