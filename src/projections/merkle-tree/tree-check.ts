import type { ChainObserver, ChainFinding } from '../../ledger/chain-verifier';
import type { EventRow } from '../../ledger/ledger-reader';
import { appendLeaf, leafHash, type TreeNode } from '../../transparency/merkle';
import { storedNodeCountUpTo, storedNodesBeyondLog, storedNodesCompleted, type Query } from './queries';
import { MIN_STORED_LEVEL, isStoredLevel } from './tables';

/** How many nodes of level ≥ MIN_STORED_LEVEL a log of `n` events completes: Σ ⌊n / 2^L⌋. */
export function storedNodesOf(n: number): number {
  let count = 0;
  for (let width = 2 ** MIN_STORED_LEVEL; width <= n; width *= 2) count += Math.floor(n / width);
  return count;
}

/**
 * GET /api/ledger/verify's check of the stored Merkle tree: while the chain is walked page by
 * page, the tree is recomputed from the events' hashes and every stored node compared with it
 * (one range query per page), then the table must hold no node beyond the log. One instance
 * keeps its frontier between walks, so ChainVerifier's incremental walk continues the tree too.
 */
export class StoredTreeCheck implements ChainObserver {
  private readonly frontier: TreeNode[] = [];

  constructor(private readonly q: Query) {}

  async page(rows: readonly EventRow[]): Promise<ChainFinding | null> {
    if (rows.length === 0) return null;
    const completed: TreeNode[] = [];
    for (const row of rows) appendLeaf(this.frontier, row.position - 1, leafHash(Buffer.from(row.hash, 'hex')), (n) => {
      if (isStoredLevel(n.level)) completed.push(n);
    });
    const stored = await storedNodesCompleted(this.q, rows[0].position - 1, rows[rows.length - 1].position);
    for (const n of completed) {
      const found = stored.get(`${n.level}:${n.index}`);
      if (!found || !found.equals(n.hash)) {
        const first = n.index * 2 ** n.level + 1;
        return {
          position: first,
          problem: `stored Merkle tree node (level ${n.level}, index ${n.index}, positions ${first}..${(n.index + 1) * 2 ** n.level}) ${found ? 'does not match the log' : 'is missing'}`,
        };
      }
    }
    if (stored.size !== completed.length) {
      return { position: rows[0].position, problem: `the stored Merkle tree has ${stored.size - completed.length} node(s) the log of positions ${rows[0].position}..${rows[rows.length - 1].position} does not make` };
    }
    return null;
  }

  async finish(head: number, scope: 'full' | 'new' = 'full'): Promise<ChainFinding | null> {
    // Nodes beyond the log's current head (read in the same statement, so a commit after this
    // walk's last page is not taken for damage); the pages checked every node up to the head.
    const beyond = await storedNodesBeyondLog(this.q);
    if (beyond > 0) return { position: head + 1, problem: `the stored Merkle tree has ${beyond} node(s) beyond the head of the log` };
    if (scope === 'new') return null;
    // A full walk also counts every node up to the head (a stray node below the first page's range).
    const expected = storedNodesOf(head); // every perfect subtree of level ≥ MIN_STORED_LEVEL
    const count = await storedNodeCountUpTo(this.q, head);
    if (count === expected) return null;
    return { position: head + 1, problem: `the stored Merkle tree has ${count} nodes where the log of ${head} events makes ${expected}` };
  }
}
