import type { StoredEvent } from '../../domain/events';
import type { SqlExecutor } from '../../ledger/sql-executor';
import { appendLeaf, frontierIds, leafHash, leafHashOfHex, nodeKey, type TreeNode } from '../../transparency/merkle';
import type { ReplayBatch, ReplayEvent, ReplayingProjector } from '../replay-batch';
import { NotBatchableError } from '../sql-batch';
import { queryOfTx, readEventHashes, readStoredNodes } from './queries';
import { MERKLE_TREE_TABLES, isStoredLevel } from './tables';

/**
 * Inserts completed nodes. Bound by default: a group commit completes a few nodes, and
 * `(?, ?), …` of a few sizes stays in the connection's statement cache (literals would make each
 * commit's SQL new: prepared again, and pushing other statements out of the cache).
 * `sqliteLiterals` (SQLite only: the rebuild's pages, each statement run once) writes literals.
 */
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
/** Leaves remembered (hash and prevHash, a ring) for rebuilding a frontier within an uncommitted group commit. */
const RECENT_LEAVES = 8192;

/**
 * The RFC 9162 Merkle tree over the log (leaf i = the event at position i + 1, leaf input its
 * 32-byte hash), kept in the append's own transaction: each event adds its leaf and every
 * perfect subtree of level ≥ MIN_STORED_LEVEL it completes (about one row per 2^(MIN_STORED_LEVEL − 1)
 * events; the levels below are recomputed from the events' own hashes when read). Roots and
 * proofs of any size then need O(log n) reads (queries.ts).
 *
 * Appending needs the frontier (the perfect subtrees of the tree so far, at most log n). It is
 * rebuilt from the table and the last few events, except when the last frontier this projector
 * computed is for the size just before the event and for the event whose hash the new event
 * links to (prevHash): the hash chain fixes every earlier event, so that frontier is right
 * whatever was rolled back or written by another process since. The frontier's lower levels
 * cover the last < 2^MIN_STORED_LEVEL events, which may be this group commit's own (not yet in
 * `events`): they are followed back from prevHash through the leaves this projector appended
 * (a ring of their hashes and prevHashes, the chain again fixing which), else read from `events`.
 * On a rebuild the tables are emptied and the log replayed.
 */
export class MerkleTreeProjector implements ReplayingProjector {
  readonly name = 'merkle-tree';
  readonly tables = MERKLE_TREE_TABLES;
  private last: { size: number; hash: string; frontier: TreeNode[] } | null = null;
  /** The frontier of a rebuild in progress (replayBatch), by position. */
  private replay: { size: number; frontier: TreeNode[] } | null = null;
  // A ring, not a Map: appends only overwrite two slots; it is searched only when the frontier is rebuilt.
  private readonly recentHash: string[] = new Array<string>(RECENT_LEAVES).fill('');
  private readonly recentPrev: string[] = new Array<string>(RECENT_LEAVES).fill('');
  private recentNext = 0;

  async apply(tx: SqlExecutor, event: StoredEvent): Promise<void> {
    await this.appendLeaves(tx, [event]);
  }

  /** SQLite only (the event store's group commits and the rebuild's careful pass call it there). */
  async applyBatch(tx: SqlExecutor, events: readonly StoredEvent[]): Promise<void> {
    await this.appendLeaves(tx, events);
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
        appendLeaf(replay.frontier, e.position - 1, leafHashOfHex(e.hash), (n) => {
          if (isStoredLevel(n.level)) completed.push(n);
        });
        replay.size = e.position;
        this.last = null; // a rebuild's frontier is carried by position; the appends' one by hash
      },
      write: (tx: SqlExecutor) => insertNodes(tx, completed, true),
    };
  }

  /**
   * Adds consecutive leaves (a batch's events are consecutive; anything else goes run by run).
   * `sqliteLiterals`: write the nodes as SQL literals (SQLite only; see insertNodes).
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
    const keep = (n: TreeNode) => {
      if (isStoredLevel(n.level)) completed.push(n);
    };
    for (const leaf of leaves) {
      appendLeaf(frontier, leaf.position - 1, leafHashOfHex(leaf.hash), keep);
      this.remember(leaf);
    }
    if (completed.length > 0) await insertNodes(tx, completed, sqliteLiterals);
    const tail = leaves[leaves.length - 1];
    this.last = { size: tail.position, hash: tail.hash, frontier };
    // A rebuild's page that went event by event: the replayed tree continues after it.
    if (first.position === 1) this.replay = { size: 0, frontier: [] };
    if (this.replay && this.replay.size === first.position - 1) this.replay = { size: tail.position, frontier: frontier.map((n) => ({ ...n })) };
  }

  private remember(leaf: TreeLeaf): void {
    this.recentHash[this.recentNext] = leaf.hash;
    this.recentPrev[this.recentNext] = leaf.prevHash;
    this.recentNext = (this.recentNext + 1) % RECENT_LEAVES;
  }

  /** The prevHash of the remembered leaf with this hash (newest first), if remembered. */
  private rememberedPrev(hash: string): string | undefined {
    for (let k = 1; k <= RECENT_LEAVES; k++) {
      const i = (this.recentNext - k + RECENT_LEAVES) % RECENT_LEAVES;
      if (this.recentHash[i] === hash) return this.recentPrev[i];
    }
    return undefined;
  }

  /** The frontier of the tree of `position - 1` leaves (a fresh copy). */
  private async frontierBefore(tx: SqlExecutor, position: number, prevHash: string): Promise<TreeNode[]> {
    const size = position - 1;
    const last = this.last;
    if (last && last.size === size && last.hash === prevHash) return last.frontier.map((n) => ({ ...n }));
    const ids = frontierIds(size);
    const upper = ids.filter((id) => isStoredLevel(id.level));
    const stored = await readStoredNodes(tx, upper);
    const frontier = upper.map((id) => {
      const hash = stored.get(`${id.level}:${id.index}`);
      if (!hash) throw new Error(`the stored Merkle tree lacks node (${id.level}, ${id.index}) below position ${position}: rebuild the read models`);
      return { ...id, hash };
    });
    // The lower levels: the events after the last stored subtree, up to the one this event links to.
    const base = upper.reduce((n, id) => n + 2 ** id.level, 0);
    const hashes = await this.chainBack(tx, base + 1, size, prevHash);
    for (let p = base + 1; p <= size; p++) appendLeaf(frontier, p - 1, leafHash(Buffer.from(hashes[p - base - 1], 'hex')));
    return frontier;
  }

  /** The hashes of the events at `from`..`to` on the chain that ends with `lastHash` at `to`. */
  private async chainBack(tx: SqlExecutor, from: number, to: number, lastHash: string): Promise<string[]> {
    const out: string[] = [];
    let hash: string | undefined = lastHash;
    for (let p = to; p >= from && hash !== undefined; p--) {
      out.unshift(hash);
      hash = p > from ? this.rememberedPrev(hash) : undefined;
    }
    if (out.length === to - from + 1) return out;
    // Not all remembered (another process appended them, or they are older): they are committed.
    const missingTo = to - out.length;
    const read = await readEventHashes(queryOfTx(tx), from, missingTo);
    for (let p = missingTo; p >= from; p--) {
      const h = read.get(p);
      if (!h) throw new Error(`the events before position ${to + 1} are not all in the log (position ${p} is missing): the Merkle tree cannot continue`);
      out.unshift(h);
    }
    return out;
  }
}
