import type { SqlExecutor } from '../ledger/sql-executor';
import type { StoredResponse } from '../ledger/event-store.types';
import { IdempotencyReplay } from '../ledger/idempotency-replay.error';

export interface IdempotencyContext {
  scope: string;
  key: string;
  requestHash: string;
}

/** Throws IdempotencyReplay when the key was used before (checked inside the write transaction). */
export async function assertKeyUnused(tx: SqlExecutor, ctx: IdempotencyContext): Promise<void> {
  const existing = await tx.get<{ request_hash: string; status: number; body: string; headers: string }>(
    'SELECT request_hash, status, body, headers FROM idempotency_keys WHERE scope = ? AND key = ?',
    [ctx.scope, ctx.key],
  );
  if (existing) {
    throw new IdempotencyReplay(
      { status: existing.status, body: JSON.parse(existing.body), headers: JSON.parse(existing.headers) },
      existing.request_hash === ctx.requestHash,
    );
  }
}

export function saveResponse(tx: SqlExecutor, ctx: IdempotencyContext, response: StoredResponse, at: string): Promise<void> {
  return saveResponses(tx, [{ ctx, response, at }]);
}

export interface SavedResponse {
  ctx: IdempotencyContext;
  response: StoredResponse;
  at: string;
}

/** Rows per INSERT: 7 parameters each, far under any bound-parameter limit. */
const RESPONSES_PER_INSERT = 200;

/** saveResponse for many keys, in multi-row inserts (a duplicate key fails the statement, as it would alone). */
export async function saveResponses(tx: SqlExecutor, saved: readonly SavedResponse[]): Promise<void> {
  for (let i = 0; i < saved.length; i += RESPONSES_PER_INSERT) {
    const chunk = saved.slice(i, i + RESPONSES_PER_INSERT);
    const params: unknown[] = [];
    for (const { ctx, response, at } of chunk) {
      params.push(ctx.scope, ctx.key, ctx.requestHash, response.status, JSON.stringify(response.body ?? null), JSON.stringify(response.headers), at);
    }
    await tx.run(
      `INSERT INTO idempotency_keys (scope, key, request_hash, status, body, headers, created_at) VALUES ${chunk.map(() => '(?, ?, ?, ?, ?, ?, ?)').join(', ')}`,
      params,
    );
  }
}
