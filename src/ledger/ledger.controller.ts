import { Controller, Get } from '@nestjs/common';
import { ReadAccess } from '../auth/roles';
import { verifyChain } from './chain-verifier';
import { LedgerReader } from './ledger-reader';

@Controller('api/ledger')
export class LedgerController {
  constructor(private readonly reader: LedgerReader) {}

  /** Recomputes the whole hash chain from the stored rows, page by page. */
  @Get('verify')
  @ReadAccess()
  verify() {
    return verifyChain(this.reader);
  }
}
