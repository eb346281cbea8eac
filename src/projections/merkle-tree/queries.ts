import type { SqlExecutor } from '../../ledger/sql-executor';
import {
  consistencyProof,
  inclusionProof,
  leafHash,
  nodeKey,
  nodeOfKey,
  nodesNeeded,
  perfectRoot,
  rootAt,
  type NodeId,
  type NodeReader,
} from '../../transparency/merkle';
import { isStoredLevel } from './tables';

/** Anything that runs a query with `?` placeholders: the writer's transaction, or a reader over TypeORM. */
export type Query = <T>(sql: string, params: unknown[]) => Promise<T[]>;

export const queryOf = (ds: { query(sql: string, params?: unknown[]): Promise<unknown> }): Query =>
  (sql, params) => ds.query(sql, params) as Promise<never>;
export const queryOfTx = (tx: SqlExecutor): Query => (sql, params) => tx.all(sql, params);

const LOOKUP_CHUNK = 200;

/** A node the computation needs is not stored: the size is beyond the head, or the tree is damaged. */
export class MissingNodeError extends Error {
  constructor(
    readonly level: number,
    readonly index: number,
  ) {
    super(`the stored Merkle tree lacks node (${level}, ${index})`);
  }
}
const key = (level: number, index: number) => `${level}:${index}`;
const toBuffer = (v: unknown): Buffer => (Buffer.isBuffer(v) ? v : Buffer.from(v as Uint8Array));

/** Stored nodes (level ≥ MIN_STORED_LEVEL) by `level:index`; absent ones are simply missing from the map. */
export async function readStoredNodes(tx: SqlExecutor, ids: readonly NodeId[]): Promise<Map<string, Buffer>> {
  return fetchUpper(queryOfTx(tx), ids.filter((id) => isStoredLevel(id.level)));
}

/** Event hashes (hex) of positions `from`..`to` by position; absent positions are missing from the map. */
export async function readEventHashes(q: Query, from: number, to: number): Promise<Map<number, string>> {
  const out = new Map<number, string>();
  if (to < from) return out;
  const rows = await q<{ position: number | string; hash: string }>('SELECT position, hash FROM events WHERE position >= ? AND position <= ?', [from, to]);
  for (const r of rows) out.set(Number(r.position), r.hash);
  return out;
}

async function fetchUpper(q: Query, ids: readonly NodeId[]): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>();
  for (let i = 0; i < ids.length; i += LOOKUP_CHUNK) {
    const chunk = ids.slice(i, i + LOOKUP_CHUNK);
    const rows = await q<{ id: number | string; hash: unknown }>(
      `SELECT id, hash FROM merkle_nodes WHERE id IN (${chunk.map(() => '?').join(', ')})`,
      chunk.map((id) => nodeKey(id.level, id.index)),
    );
    for (const r of rows) {
      const { level, index } = nodeOfKey(Number(r.id));
      out.set(key(level, index), toBuffer(r.hash));
    }
  }
  return out;
}

/**
 * A reader holding exactly the given nodes: stored subtrees (level ≥ MIN_STORED_LEVEL), and the
 * lower ones recomputed from the events' hashes (each covers fewer than 2^MIN_STORED_LEVEL
 * consecutive events: the leaves are read as a few position ranges).
 */
export async function fetchNodes(q: Query, ids: readonly NodeId[]): Promise<NodeReader> {
  const nodes = await fetchUpper(q, ids.filter((id) => isStoredLevel(id.level)));
  const lower = ids.filter((id) => !isStoredLevel(id.level));
  // The leaf ranges (0-based, inclusive) the lower nodes cover, merged where they touch.
  const ranges = lower
    .map((id) => [id.index * 2 ** id.level, (id.index + 1) * 2 ** id.level - 1])
    .sort((a, b) => a[0] - b[0])
    .reduce<number[][]>((acc, r) => {
      const last = acc[acc.length - 1];
      if (last && r[0] <= last[1] + 1) last[1] = Math.max(last[1], r[1]);
      else acc.push([...r]);
      return acc;
    }, []);
  const leaves = new Map<number, Buffer>();
  for (const [first, last] of ranges) {
    for (const [position, hash] of await readEventHashes(q, first + 1, last + 1)) leaves.set(position - 1, leafHash(Buffer.from(hash, 'hex')));
  }
  for (const id of lower) {
    const width = 2 ** id.level;
    const span: Buffer[] = [];
    for (let i = id.index * width; i < (id.index + 1) * width; i++) {
      const leaf = leaves.get(i);
      if (!leaf) break;
      span.push(leaf);
    }
    if (span.length === width) nodes.set(key(id.level, id.index), perfectRoot(span));
  }
  return (level, index) => {
    const hash = nodes.get(key(level, index));
    if (!hash) throw new MissingNodeError(level, index);
    return hash;
  };
}

/** Runs a tree computation over the stored nodes it needs (fetched first, in a few queries). */
async function overStored<T>(q: Query, compute: (read: NodeReader) => T): Promise<T> {
  return compute(await fetchNodes(q, nodesNeeded(compute)));
}

/** The head of the log: the size of the tree. */
export async function treeSize(q: Query): Promise<number> {
  const rows = await q<{ n: number | string | null }>('SELECT MAX(position) AS n FROM events', []);
  return Number(rows[0]?.n ?? 0);
}

export function storedRoot(q: Query, size: number): Promise<Buffer> {
  return overStored(q, (read) => rootAt(size, read));
}

/** The inclusion proof of the event at `position` in the tree of `size`, with the leaf hash and root. */
export async function storedInclusion(q: Query, position: number, size: number): Promise<{ leafHash: Buffer; rootHash: Buffer; proof: Buffer[] }> {
  return overStored(q, (read) => ({ leafHash: read(0, position - 1), rootHash: rootAt(size, read), proof: inclusionProof(position - 1, size, read) }));
}

export async function storedConsistency(q: Query, from: number, to: number): Promise<{ fromRoot: Buffer; toRoot: Buffer; proof: Buffer[] }> {
  return overStored(q, (read) => ({ fromRoot: rootAt(from, read), toRoot: rootAt(to, read), proof: consistencyProof(from, to, read) }));
}

/** Stored nodes completed while the tree grew from `afterLeaves` to `uptoLeaves` leaves (the tree check reads a page's worth at once). */
export async function storedNodesCompleted(q: Query, afterLeaves: number, uptoLeaves: number): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>();
  const rows = await q<{ id: number | string; hash: unknown }>('SELECT id, hash FROM merkle_nodes WHERE id > ? AND id < ?', [afterLeaves * 64 + 63, (uptoLeaves + 1) * 64]);
  for (const r of rows) {
    const { level, index } = nodeOfKey(Number(r.id));
    out.set(key(level, index), toBuffer(r.hash));
  }
  return out;
}

/** Stored nodes of a tree of at most `leaves` leaves (keys below (leaves + 1)·64). */
export async function storedNodeCountUpTo(q: Query, leaves: number): Promise<number> {
  const rows = await q<{ n: number | string }>('SELECT COUNT(*) AS n FROM merkle_nodes WHERE id < ?', [(leaves + 1) * 64]);
  return Number(rows[0]?.n ?? 0);
}

/** Stored nodes no event of the log completes: keys at or past (head + 1)·64, the head read in the same statement. */
export async function storedNodesBeyondLog(q: Query): Promise<number> {
  const rows = await q<{ n: number | string }>(
    'SELECT COUNT(*) AS n FROM merkle_nodes WHERE id >= (SELECT COALESCE(MAX(position), 0) + 1 FROM events) * 64',
    [],
  );
  return Number(rows[0]?.n ?? 0);
}
