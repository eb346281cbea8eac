import type { EventType, StoredEvent, StoredEventOf } from '../domain/events';
import type { InlineProjector } from '../ledger/event-store.types';
import type { SqlExecutor } from '../ledger/sql-executor';

/** What a bulk replay is given of an event of type T: no metadata, no prevHash (the hash is the Merkle tree's leaf). */
export type ReplayEventOf<T extends EventType> = Pick<StoredEventOf<T>, 'position' | 'streamId' | 'streamVersion' | 'type' | 'data' | 'recordedAt' | 'hash'>;

/** What a bulk replay is given of each event. A union over the types, so checking `type` narrows `data`, as on StoredEvent. */
export type ReplayEvent = { [T in EventType]: ReplayEventOf<T> }[EventType];

/**
 * A page of events turned into writes: `add` (pure JS, no I/O) for each event in log order, then
 * `write` once. `add` throws when it cannot prove the merged writes exact (nothing is written
 * then); `write` may fail part way and leave some of the page's rows behind.
 */
export interface ReplayBatch {
  add(event: ReplayEvent): void;
  write(tx: SqlExecutor): Promise<void>;
}

/**
 * A projector the rebuild can replay in bulk on SQLite (its pages built while the previous one
 * is written); it batches group commits too (`applyBatch`).
 */
export interface ReplayingProjector extends InlineProjector {
  applyBatch(tx: SqlExecutor, events: readonly StoredEvent[]): Promise<void>;
  replayBatch(): ReplayBatch;
  /**
   * Secondary indexes of its tables that its own replay looks rows up by (per-event deletes and
   * updates): the rebuild keeps them instead of dropping them, or each such statement would scan the table.
   */
  readonly replayIndexes?: readonly string[];
}

export function isReplaying(p: InlineProjector): p is ReplayingProjector {
  return typeof (p as Partial<ReplayingProjector>).replayBatch === 'function';
}
