import type { MigrationInterface, QueryRunner } from 'typeorm';
import { appendLeaf, leafHash, nodeKey, type TreeNode } from '../../transparency/merkle';

/** Levels of the tree no longer stored (src/projections/merkle-tree/tables.ts MIN_STORED_LEVEL at the time: 2). */
const LOWEST_STORED = 2;

/**
 * The stored Merkle tree keeps only perfect subtrees of level ≥ 2; the levels below are
 * recomputed from the events' hashes when read (at most 4 consecutive events per node). Each
 * append writes about one row per 2 events instead of one per event. The key is unchanged
 * (id = (index+1)·2^level·64 + level): the rows of level 1 are deleted (id % 64 is the level).
 * `down` puts them back, recomputed from the log.
 */
export class MerkleUpperLevels1764600000026 implements MigrationInterface {
  name = 'MerkleUpperLevels1764600000026';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`DELETE FROM merkle_nodes WHERE id % 64 < ${LOWEST_STORED}`);
  }

  async down(q: QueryRunner): Promise<void> {
    const postgres = q.connection.options.type === 'postgres';
    const frontier: TreeNode[] = [];
    let after = 0;
    for (;;) {
      const rows: Array<{ position: number | string; hash: string }> = await q.query(
        `SELECT position, hash FROM events WHERE position > ${postgres ? '$1' : '?'} ORDER BY position LIMIT 5000`,
        [after],
      );
      if (rows.length === 0) break;
      const lower: unknown[] = [];
      for (const r of rows) {
        appendLeaf(frontier, Number(r.position) - 1, leafHash(Buffer.from(r.hash, 'hex')), (n) => {
          if (n.level < LOWEST_STORED) lower.push(nodeKey(n.level, n.index), n.hash);
        });
      }
      for (let i = 0; i < lower.length; i += 1000) {
        const chunk = lower.slice(i, i + 1000);
        const values = Array.from({ length: chunk.length / 2 }, (_, k) => (postgres ? `($${2 * k + 1}, $${2 * k + 2})` : '(?, ?)')).join(', ');
        await q.query(`INSERT INTO merkle_nodes (id, hash) VALUES ${values}`, chunk);
      }
      after = Number(rows[rows.length - 1].position);
    }
  }
}
