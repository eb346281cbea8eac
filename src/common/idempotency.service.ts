import { Injectable } from '@nestjs/common';
import type { SqlExecutor } from '../ledger/sql-executor';
import type { StoredResponse } from '../ledger/event-store.types';
import { assertKeyUnused, saveResponse } from './idempotency';
import type { IdempotentRequest } from './idempotency.guard';

/** For POSTs that write outside the event log (API keys): check and store in the same transaction. */
@Injectable()
export class IdempotencyService {
  async guardIn(tx: SqlExecutor, req: IdempotentRequest, response: () => StoredResponse): Promise<void> {
    if (!req.idempotency) return;
    await assertKeyUnused(tx, req.idempotency);
    await saveResponse(tx, req.idempotency, response(), new Date().toISOString());
  }
}
