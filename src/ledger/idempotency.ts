import { ResponseReplay, type StoredResponse } from '../common/http/response-replay';
import type { SqlExecutor } from './sql-executor';

/** An Idempotency-Key as the ledger keeps it: per caller (scope), with a hash of the request it came with. */
export interface IdempotencyContext {
  scope: string;
  key: string;
  requestHash: string;
}

/** The Idempotency-Key was used before; carries the first response and whether the bodies match. */
export class IdempotencyReplay extends ResponseReplay {
  constructor(response: StoredResponse, sameRequest: boolean) {
    super(response, sameRequest, 'idempotency key already used');
  }
}

/** What the lookup needs: the writer's transaction, or any reader of committed rows. */
export type RowReader = Pick<SqlExecutor, 'get'>;

/**
 * The one lookup of a used key: null when the key is unused, else the IdempotencyReplay that
 * answers it. Asked before a write runs (IdempotencyGuard, on committed rows) and again inside the
 * write transaction (assertKeyUnused), so two racing retries still write once.
 */
export async function findReplay(db: RowReader, ctx: IdempotencyContext): Promise<IdempotencyReplay | null> {
  const existing = await db.get<{ request_hash: string; status: number; body: string; headers: string }>(
    'SELECT request_hash, status, body, headers FROM idempotency_keys WHERE scope = ? AND key = ?',
    [ctx.scope, ctx.key],
  );
  if (!existing) return null;
  return new IdempotencyReplay(
    { status: existing.status, body: JSON.parse(existing.body), headers: JSON.parse(existing.headers) },
    existing.request_hash === ctx.requestHash,
  );
}

/** Throws IdempotencyReplay when the key was used before (checked inside the write transaction). */
export async function assertKeyUnused(tx: RowReader, ctx: IdempotencyContext): Promise<void> {
  const replay = await findReplay(tx, ctx);
  if (replay) throw replay;
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
