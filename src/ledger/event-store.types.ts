import type { EventMetadata, NewEvent, StoredEvent } from '../domain/events';
import type { StoredResponse } from '../common/http/response-replay';
import type { IdempotencyContext } from './idempotency';
import type { SqlExecutor } from './sql-executor';

/** A number is the exact version the stream must be at (0: the stream must not exist yet). */
export type ExpectedVersion = number | 'any';

export interface StreamPrecondition {
  streamId: string;
  /** The exact version, or 'exists': any version above 0. */
  expectedVersion: number | 'exists';
  /** The error to refuse with when the stream is elsewhere (default: a ConcurrencyError, 409/412). */
  onMismatch?: (actualVersion: number) => Error;
}

export type { StoredResponse };

/** Stored with the events in the same transaction, so a retried POST can be answered again. */
export interface IdempotencyRecord extends IdempotencyContext {
  respond(result: AppendResult): StoredResponse;
}

/** What an append's guard may ask about the batch it is checked in. */
export interface GuardContext {
  /** Position of the stream's last event, counting events staged earlier in the same group commit (0: none). */
  lastPosition(streamId: string): Promise<number>;
}

/**
 * A read-only check run in the append's own transaction, after the expected versions: it sees
 * the read models as the batch's earlier requests left them, and throws to refuse the append
 * (which then writes nothing).
 */
export type AppendGuard = (tx: SqlExecutor, ctx: GuardContext) => Promise<void>;

export interface AppendRequest {
  streamId: string;
  expectedVersion: ExpectedVersion;
  events: NewEvent[];
  metadata: EventMetadata;
  /** Other streams that must still be at these versions (checked in the same transaction). */
  preconditions?: StreamPrecondition[];
  guard?: AppendGuard;
  idempotency?: IdempotencyRecord;
}

export interface AppendResult {
  streamId: string;
  /** Version of the stream after the append. */
  version: number;
  events: StoredEvent[];
  /** Position of the last event appended. */
  position: number;
}

/** A read model kept in the append's own transaction; the same code replays the log on rebuild. */
export interface InlineProjector {
  readonly name: string;
  /** Tables it owns; emptied before a rebuild. */
  readonly tables: readonly string[];
  apply(tx: SqlExecutor, event: StoredEvent): Promise<void>;
  /**
   * Optional, on SQLite: the same effect as `apply` on each event in order, with fewer
   * statements (group commits and rebuilds use it). It must throw whenever that sequence would
   * fail (the caller then applies the events one by one, so the error is `apply`'s own).
   */
  applyBatch?(tx: SqlExecutor, events: readonly StoredEvent[]): Promise<void>;
}
