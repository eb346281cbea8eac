import { idFromStream, type ClaimRecordedData, type StoredEvent } from '../../domain/events';
import type { InlineProjector } from '../../ledger/event-store.types';
import type { SqlExecutor } from '../../ledger/sql-executor';
import type { ReplayBatch, ReplayEvent, ReplayEventOf, ReplayingProjector } from '../replay-batch';
import { insertMany, writeMode, writeTables, type WriteMode } from '../sql-batch';
import { PLEDGE_SCOPES_TABLES } from './tables';

const INSERT_SCOPE = 'INSERT INTO pledge_scopes (claim_id, position, scope) VALUES (?, ?, ?)';

function hasScope(c: ClaimRecordedData): boolean {
  return c.kind === 'pledge' && !!c.scope;
}
/** The bound values of the insert, shared by `apply` and `applyBatch` so the two cannot drift. */
function scopeValues(e: ReplayEventOf<'ClaimRecorded'>): unknown[] {
  return [idFromStream(e.streamId), e.position, JSON.stringify(e.data.scope)];
}

/**
 * Each pledge's scope, for the matcher (which reports may bear on which pledge), written in
 * the append's own transaction. Derived: a rebuild empties the table and replays the log.
 */
export class PledgeScopesProjector implements InlineProjector, ReplayingProjector {
  readonly name = 'pledge-scopes';
  readonly tables = PLEDGE_SCOPES_TABLES;

  async apply(tx: SqlExecutor, e: StoredEvent): Promise<void> {
    if (e.type === 'ClaimRecorded' && hasScope(e.data)) await tx.run(INSERT_SCOPE, scopeValues(e));
  }

  /** The same rows as `apply` on each event in order, in multi-row inserts (see PledgeScopesBatch). */
  async applyBatch(tx: SqlExecutor, events: readonly StoredEvent[]): Promise<void> {
    const batch = new PledgeScopesBatch();
    for (const e of events) batch.add(e);
    await batch.write(tx);
  }

  /** For the rebuild's fast pass (SQLite): OR FAIL inserts without statement journals (see ProjectionRebuilder). */
  replayBatch(): ReplayBatch {
    return new PledgeScopesBatch({ unjournaled: true });
  }
}

/**
 * A page of events as multi-row inserts. Exact: pledge_scopes takes plain inserts only, so the
 * same rows in the same order give the same table (rowids included), and a row `apply` would
 * fail on (a claim recorded twice) fails the multi-row insert as well.
 */
export class PledgeScopesBatch implements ReplayBatch {
  private readonly mode: WriteMode;
  private readonly scopeRows: unknown[][] = [];

  /** `unjournaled`: the rebuild's fast pass (see writeMode). */
  constructor(opts: { unjournaled?: boolean } = {}) {
    this.mode = writeMode(opts);
  }

  add(e: ReplayEvent): void {
    if (e.type === 'ClaimRecorded' && hasScope(e.data)) this.scopeRows.push(scopeValues(e));
  }

  async write(tx: SqlExecutor): Promise<void> {
    const { mode } = this;
    await writeTables(mode, [() => insertMany(tx, mode, 'pledge_scopes (claim_id, position, scope)', this.scopeRows)]);
  }
}
