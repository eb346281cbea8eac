import type { StoredEvent } from '../../domain/events';
import type { SqlExecutor } from '../../ledger/sql-executor';
import { appendLeaf, frontierIds, leafHash, nodeKey, type TreeNode } from '../../transparency/merkle';
import type { ReplayBatch, ReplayEvent, ReplayingProjector } from '../replay-batch';
import { NotBatchableError } from '../sql-batch';
import { readStoredNodes } from './queries';
import { MERKLE_TREE_TABLES } from './tables';

/** Inserts completed nodes; `sqliteLiterals` (SQLite only: applyBatch and the rebuild) writes them as literals (cheaper than bound Buffers). */
async function insertNodes(tx: SqlExecutor, completed: readonly TreeNode[], sqliteLiterals: boolean): Promise<void> {
  for (let i = 0; i < completed.length; i += ROWS_PER_INSERT) {
    const chunk = completed.slice(i, i + ROWS_PER_INSERT);
    if (sqliteLiterals) {
      await tx.run(`INSERT INTO merkle_nodes (id, hash) VALUES ${chunk.map((n) => `(${nodeKey(n.level, n.index)},X'${n.hash.toString('hex')}')`).join(',')}`);
    } else {
      await tx.run(`INSERT INTO merkle_nodes (id, hash) VALUES ${chunk.map(() => '(?, ?)').join(', ')}`, chunk.flatMap((n) => [nodeKey(n.level, n.index), n.hash]));
    }
  }
}

/** What the tree needs of an event: where it is and its hashes. */
export interface TreeLeaf {
  position: number;
  prevHash: string;
  hash: string;
}

const ROWS_PER_INSERT = 1000;

/**
 * The RFC 9162 Merkle tree over the log (leaf i = the event at position i + 1, leaf input its
 * 32-byte hash), kept in the append's own transaction: each event adds its leaf and every
 * perfect subtree it completes (about one row per event: levels ≥ 1; level-0 leaves are the
 * events' own hashes). Roots and proofs of any size then need O(log n) reads (queries.ts).
 *
 * Appending needs the frontier (the perfect subtrees of the tree so far, at most log n). It is
 * read from the table, except when the last frontier this projector computed is for the size
 * just before the event and for the event whose hash the new event links to (prevHash): the
 * hash chain fixes every earlier event, so that frontier is right whatever was rolled back or
 * written by another process since. On a rebuild the tables are emptied and the log replayed.
 */
export class MerkleTreeProjector implements ReplayingProjector {
  readonly name = 'merkle-tree';
  readonly tables = MERKLE_TREE_TABLES;
  private last: { size: number; hash: string; frontier: TreeNode[] } | null = null;
  /** The frontier of a rebuild in progress (replayBatch), by position. */
  private replay: { size: number; frontier: TreeNode[] } | null = null;

  async apply(tx: SqlExecutor, event: StoredEvent): Promise<void> {
    await this.appendLeaves(tx, [event]);
  }

  /** SQLite only (the event store and the rebuild call it there). */
  async applyBatch(tx: SqlExecutor, events: readonly StoredEvent[]): Promise<void> {
    await this.appendLeaves(tx, events, true);
  }

  /**
   * The rebuild's pages: the leaves are hashed into the tree as the page is built (pure JS, while
   * the previous page's statements run), and written in one go. A rebuild replays the log from
   * position 1 in order inside one transaction, so the frontier carries from page to page by
   * position (`replay`); a page that does not continue it is refused (NotBatchableError) and
   * goes event by event through `apply`, which continues it too.
   */
  replayBatch(): ReplayBatch {
    const completed: TreeNode[] = [];
    return {
      add: (e: ReplayEvent) => {
        if (e.position === 1) this.replay = { size: 0, frontier: [] };
        const replay = this.replay;
        if (!replay || replay.size !== e.position - 1) throw new NotBatchableError('the page does not continue the replayed tree');
        appendLeaf(replay.frontier, e.position - 1, leafHash(Buffer.from(e.hash, 'hex')), (n) => completed.push(n));
        replay.size = e.position;
        this.last = null; // a rebuild's frontier is carried by position; the appends' one by hash
      },
      write: (tx: SqlExecutor) => insertNodes(tx, completed, true),
    };
  }

  /**
   * Adds consecutive leaves (a batch's events are consecutive; anything else goes run by run).
   * `sqliteLiterals`: the SQLite-only paths (applyBatch, the rebuild) write SQL literals.
   */
  async appendLeaves(tx: SqlExecutor, leaves: readonly TreeLeaf[], sqliteLiterals = false): Promise<void> {
    let start = 0;
    while (start < leaves.length) {
      let end = start + 1;
      while (end < leaves.length && leaves[end].position === leaves[end - 1].position + 1) end++;
      await this.appendRun(tx, leaves.slice(start, end), sqliteLiterals);
      start = end;
    }
  }

  private async appendRun(tx: SqlExecutor, leaves: readonly TreeLeaf[], sqliteLiterals: boolean): Promise<void> {
    const first = leaves[0];
    const frontier = await this.frontierBefore(tx, first.position, first.prevHash);
    const completed: TreeNode[] = [];
    for (const leaf of leaves) appendLeaf(frontier, leaf.position - 1, leafHash(Buffer.from(leaf.hash, 'hex')), (n) => completed.push(n));
    await insertNodes(tx, completed, sqliteLiterals);
    const tail = leaves[leaves.length - 1];
    this.last = { size: tail.position, hash: tail.hash, frontier };
    // A rebuild's page that went event by event: the replayed tree continues after it.
    if (first.position === 1) this.replay = { size: 0, frontier: [] };
    if (this.replay && this.replay.size === first.position - 1) this.replay = { size: tail.position, frontier: frontier.map((n) => ({ ...n })) };
  }

  /** The frontier of the tree of `position - 1` leaves (a fresh copy). */
  private async frontierBefore(tx: SqlExecutor, position: number, prevHash: string): Promise<TreeNode[]> {
    const size = position - 1;
    const last = this.last;
    if (last && last.size === size && last.hash === prevHash) return last.frontier.map((n) => ({ ...n }));
    const ids = frontierIds(size);
    const stored = await readStoredNodes(tx, ids.filter((id) => id.level > 0));
    return ids.map((id) => {
      // The one level-0 node of a frontier is the last leaf: the event this one links to.
      if (id.level === 0) return { ...id, hash: leafHash(Buffer.from(prevHash, 'hex')) };
      const hash = stored.get(`${id.level}:${id.index}`);
      if (!hash) throw new Error(`the stored Merkle tree lacks node (${id.level}, ${id.index}) below position ${position}: rebuild the read models`);
      return { ...id, hash };
    });
  }
}
