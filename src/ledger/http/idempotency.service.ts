import { Injectable } from '@nestjs/common';
import type { StoredResponse } from '../../common/http/response-replay';
import type { SqlExecutor } from '../sql-executor';
import { assertKeyUnused, saveResponse } from '../idempotency';
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
