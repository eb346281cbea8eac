import { ResponseReplay, type StoredResponse } from '../common/http/response-replay';
import type { SqlExecutor } from './sql-executor';

/** An Idempotency-Key as the ledger keeps it: per caller (scope), with a hash of the request it came with. */
export interface IdempotencyContext {
  scope: string;
  key: string;
  requestHash: string;
  /**
   * Records created before this instant (ISO 8601) have expired (IDEMPOTENCY_TTL_HOURS): the key
   * counts as unused, and the write replaces the old record. Absent: records never expire.
   */
  expiredBefore?: string;
  /** When the record is written (ISO 8601, the same clock as expiredBefore); absent: the write's own time. */
  at?: string;
}

/** The cut-off of a TTL at `now`: records created before it have expired. */
export function expiredBefore(now: Date, ttlHours: number): string {
  return new Date(now.getTime() - ttlHours * 3_600_000).toISOString();
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
  const found = await lookup(db, ctx);
  return found === 'expired' ? null : found;
}

async function lookup(db: RowReader, ctx: IdempotencyContext): Promise<IdempotencyReplay | 'expired' | null> {
  const existing = await db.get<{ request_hash: string; status: number; body: string; headers: string; created_at: string }>(
    'SELECT request_hash, status, body, headers, created_at FROM idempotency_keys WHERE scope = ? AND key = ?',
    [ctx.scope, ctx.key],
  );
  if (!existing) return null;
  if (ctx.expiredBefore !== undefined && existing.created_at < ctx.expiredBefore) return 'expired';
  return new IdempotencyReplay(
    { status: existing.status, body: JSON.parse(existing.body), headers: JSON.parse(existing.headers) },
    existing.request_hash === ctx.requestHash,
  );
}

/**
 * Throws IdempotencyReplay when the key was used before (checked inside the write transaction).
 * An expired record of the key is deleted here, in the same transaction as the write that
 * replaces it: the key's new record can then go in, and nothing between sees the key unused.
 */
export async function assertKeyUnused(tx: Pick<SqlExecutor, 'get' | 'run'>, ctx: IdempotencyContext): Promise<void> {
  const found = await lookup(tx, ctx);
  if (found === 'expired') {
    await tx.run('DELETE FROM idempotency_keys WHERE scope = ? AND key = ? AND created_at < ?', [ctx.scope, ctx.key, ctx.expiredBefore]);
    return;
  }
  if (found) throw found;
}

/**
 * Deletes up to `limit` records created before `before` (oldest first); the number deleted.
 * Run through the event store's single writer (IdempotencyPurger), so it never falls between a
 * group commit's key check and its insert; and it only deletes what every lookup already treats
 * as unused, so a live key is never lost.
 */
export async function purgeExpired(tx: Pick<SqlExecutor, 'run'>, before: string, limit: number): Promise<number> {
  const r = await tx.run(
    'DELETE FROM idempotency_keys WHERE (scope, key) IN (SELECT scope, key FROM idempotency_keys WHERE created_at < ? ORDER BY created_at LIMIT ?)',
    [before, limit],
  );
  return r.changes;
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
      params.push(ctx.scope, ctx.key, ctx.requestHash, response.status, JSON.stringify(response.body ?? null), JSON.stringify(response.headers), ctx.at ?? at);
    }
    await tx.run(
      `INSERT INTO idempotency_keys (scope, key, request_hash, status, body, headers, created_at) VALUES ${chunk.map(() => '(?, ?, ?, ?, ?, ?, ?)').join(', ')}`,
      params,
    );
  }
}
