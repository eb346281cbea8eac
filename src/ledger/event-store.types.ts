import type { EventMetadata, NewEvent, StoredEvent } from './event-catalogue';
import type { SqlExecutor } from './sql-executor';

/** A number is the exact version the stream must be at (0: the stream must not exist yet). */
export type ExpectedVersion = number | 'any';

export interface StreamPrecondition {
  streamId: string;
  expectedVersion: number;
}

export interface StoredResponse {
  status: number;
  body: unknown;
  headers: Record<string, string>;
}

/** Stored with the events in the same transaction, so a retried POST can be answered again. */
export interface IdempotencyRecord {
  scope: string;
  key: string;
  requestHash: string;
  respond(result: AppendResult): StoredResponse;
}

export interface AppendRequest {
  streamId: string;
  expectedVersion: ExpectedVersion;
  events: NewEvent[];
  metadata: EventMetadata;
  /** Other streams that must still be at these versions (checked in the same transaction). */
  preconditions?: StreamPrecondition[];
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
}
