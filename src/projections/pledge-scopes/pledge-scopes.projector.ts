import { idFromStream, type ClaimRecordedData, type StoredEvent } from '../../domain/events';
import { scopeIndexEntry } from '../../domain/match-index';
import type { Scope } from '../../domain/types';
import type { InlineProjector } from '../../ledger/event-store.types';
import type { SqlExecutor } from '../../ledger/sql-executor';
import type { ReplayBatch, ReplayEvent, ReplayEventOf, ReplayingProjector } from '../replay-batch';
import { insertMany, writeMode, writeTables, type WriteMode } from '../sql-batch';
import { PLEDGE_SCOPES_TABLES } from './tables';

const INSERT_SCOPE = 'INSERT INTO pledge_scopes (claim_id, position, scope) VALUES (?, ?, ?)';
const INSERT_KEY = 'INSERT INTO pledge_scope_keys (key, claim_id, from_ms, until_ms) VALUES (?, ?, ?, ?)';

function hasScope(c: ClaimRecordedData): boolean {
  return c.kind === 'pledge' && !!c.scope;
}
/** The bound values of the insert, shared by `apply` and `applyBatch` so the two cannot drift. */
function scopeValues(e: ReplayEventOf<'ClaimRecorded'>): unknown[] {
  return [idFromStream(e.streamId), e.position, JSON.stringify(e.data.scope)];
}

/** The index rows of a scope (src/domain/match-index.ts): one per key, with the window. */
function keyRows(e: ReplayEventOf<'ClaimRecorded'>): unknown[][] {
  const entry = scopeIndexEntry(e.data.scope as Scope);
  return entry ? entry.keys.map((k) => [k, idFromStream(e.streamId), entry.fromMs, entry.untilMs]) : [];
}

/**
 * Each pledge's scope, for the matcher, and its index keys (pledge_scope_keys: place names and
 * grid cells with the window, so a report finds its candidate pledges without a scan) (which reports may bear on which pledge), written in
 * the append's own transaction. Derived: a rebuild empties the table and replays the log.
 */
export class PledgeScopesProjector implements InlineProjector, ReplayingProjector {
  readonly name = 'pledge-scopes';
  readonly tables = PLEDGE_SCOPES_TABLES;

  async apply(tx: SqlExecutor, e: StoredEvent): Promise<void> {
    if (e.type === 'ClaimRecorded' && hasScope(e.data)) {
      await tx.run(INSERT_SCOPE, scopeValues(e));
      for (const row of keyRows(e)) await tx.run(INSERT_KEY, row);
    }
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
  private readonly keyRows: unknown[][] = [];

  /** `unjournaled`: the rebuild's fast pass (see writeMode). */
  constructor(opts: { unjournaled?: boolean } = {}) {
    this.mode = writeMode(opts);
  }

  add(e: ReplayEvent): void {
    if (e.type === 'ClaimRecorded' && hasScope(e.data)) {
      this.scopeRows.push(scopeValues(e));
      this.keyRows.push(...keyRows(e));
    }
  }

  async write(tx: SqlExecutor): Promise<void> {
    const { mode } = this;
    await writeTables(mode, [
      () => insertMany(tx, mode, 'pledge_scopes (claim_id, position, scope)', this.scopeRows),
      () => insertMany(tx, mode, 'pledge_scope_keys (key, claim_id, from_ms, until_ms)', this.keyRows),
    ]);
  }
}
