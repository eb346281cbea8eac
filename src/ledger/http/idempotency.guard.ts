import { Inject, Injectable } from '@nestjs/common';
import { createHash } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { DataSource } from 'typeorm';
import type { Principal } from '../../domain/types';
import { RequestValidationError } from '../../common/http/request-validation.error';
import type { IdempotencyRecord, AppendResult, StoredResponse } from '../event-store.types';
import { canonicalize } from '../canonical-json';
import { expiredBefore, findReplay, type IdempotencyContext, type RowReader } from '../idempotency';
import { APP_CONFIG, type AppConfig } from '../../config/app-config';

export type IdempotentRequest = FastifyRequest & { principal?: Principal; idempotency?: IdempotencyContext };

const KEY_SHAPE = /^[\x21-\x7e]{1,255}$/;

function requestHash(req: FastifyRequest): string {
  const path = req.url.split('?')[0];
  let body: string;
  try {
    // Canonical JSON: a retry that serialises the same body with members in another order matches.
    body = canonicalize(req.body ?? null);
  } catch {
    body = JSON.stringify(req.body ?? null) ?? String(req.body);
  }
  return createHash('sha256').update(`${req.method} ${path}\n${body}`).digest('hex');
}

/**
 * Idempotency-Key on every POST. A key already used (within IDEMPOTENCY_TTL_HOURS) answers with
 * the first response (same body, or 409 for another body) before anything runs; the write itself stores the response
 * in its own transaction and re-checks there, so two racing retries still write once.
 * Run by the request hooks (src/auth/auth.guard.ts) once the body is parsed, after the key and
 * its rate limit: a Fastify hook, not a Nest guard or interceptor, which would add a guard
 * pipeline (or RxJS) and several promises to every request of every route.
 */
@Injectable()
export class IdempotencyCheck {
  /** Committed rows, read on TypeORM's connection (never waiting for the writer). */
  private readonly committed: RowReader;

  private readonly now: () => Date;
  private readonly ttlHours: number;

  constructor(ds: DataSource, @Inject(APP_CONFIG) config: AppConfig) {
    this.committed = { get: async <T>(sql: string, params?: unknown[]) => ((await ds.query(sql, params)) as T[])[0] };
    this.now = config.clock ?? (() => new Date());
    this.ttlHours = config.idempotencyTtlHours;
  }

  /** Throws (or rejects with) the replay or a bad key; sets `req.idempotency`. No key: undefined, nothing to wait for. */
  check(req: IdempotentRequest): Promise<void> | undefined {
    if (req.method !== 'POST') return undefined;
    const raw = req.headers['idempotency-key'];
    if (raw === undefined) return undefined;
    // A streamed upload (POST /api/imports) has no body to hash yet; re-sending a file is harmless anyway (rows are keyed).
    if (isStream(req.body)) return undefined;
    if (typeof raw !== 'string' || !KEY_SHAPE.test(raw)) {
      throw RequestValidationError.field('Idempotency-Key', 'Idempotency-Key must be 1..255 visible ASCII characters');
    }
    // Records older than IDEMPOTENCY_TTL_HOURS count as absent (IdempotencyPurger deletes them later);
    // the record this request leaves is stamped by the same clock.
    const now = this.now();
    const idem: IdempotencyContext = {
      scope: req.principal?.id ?? 'anonymous',
      key: raw,
      requestHash: requestHash(req),
      expiredBefore: expiredBefore(now, this.ttlHours),
      at: now.toISOString(),
    };
    return findReplay(this.committed, idem).then((replay) => {
      if (replay) throw replay;
      req.idempotency = idem;
    });
  }
}

function isStream(body: unknown): boolean {
  return typeof body === 'object' && body !== null && typeof (body as { pipe?: unknown }).pipe === 'function';
}

/** The record a command handler hands to EventStore.append, or undefined without a key. */
export function idempotencyRecord(
  req: IdempotentRequest,
  respond: (result: AppendResult) => StoredResponse,
): IdempotencyRecord | undefined {
  return req.idempotency ? { ...req.idempotency, respond } : undefined;
}
