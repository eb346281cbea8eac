import type { ChainObserver, ChainFinding } from '../../ledger/chain-verifier';
import type { EventRow } from '../../ledger/ledger-reader';
import { appendLeaf, frontierIds, leafHash, type TreeNode } from '../../transparency/merkle';
import { storedNodeCount, storedNodesCompleted, type Query } from './queries';

/**
 * GET /api/ledger/verify's check of the stored Merkle tree: while the chain is walked page by
 * page, the tree is recomputed from the events' hashes and every stored node compared with it
 * (one range query per page), then the table must hold no node beyond the log.
 */
export class StoredTreeCheck implements ChainObserver {
  private readonly frontier: TreeNode[] = [];

  constructor(private readonly q: Query) {}

  async page(rows: readonly EventRow[]): Promise<ChainFinding | null> {
    if (rows.length === 0) return null;
    const completed: TreeNode[] = [];
    for (const row of rows) appendLeaf(this.frontier, row.position - 1, leafHash(Buffer.from(row.hash, 'hex')), (n) => completed.push(n));
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

  async finish(head: number): Promise<ChainFinding | null> {
    const expected = head - frontierIds(head).length; // every perfect subtree of level ≥ 1: n − popcount(n)
    const count = await storedNodeCount(this.q);
    if (count === expected) return null;
    return { position: head + 1, problem: `the stored Merkle tree has ${count} nodes where the log of ${head} events makes ${expected}` };
  }
}
