import { createHash, hash } from 'node:crypto';

/**
 * RFC 9162 §2.1 Merkle trees, pure (node:crypto's SHA-256, nothing of the project).
 *
 * A tree is read through its perfect subtrees: node (level, index) is the root of the 2^level
 * leaves starting at leaf index·2^level (level 0: a leaf hash). Every root, inclusion proof and
 * consistency proof of any size is a fold of O(log n) such nodes, so a store that keeps them
 * answers from O(log n) reads. `nodesNeeded` lists the nodes a computation will read (the shape
 * of a proof never depends on the hashes), so a store can fetch them in one query first.
 */

export interface NodeId {
  level: number;
  index: number;
}

/** The hash of perfect subtree (level, index); throws when it does not have it. */
export type NodeReader = (level: number, index: number) => Buffer;

export interface TreeNode extends NodeId {
  hash: Buffer;
}

/** SHA-256 of nothing: the root of the empty tree. */
export const EMPTY_ROOT: Buffer = createHash('sha256').digest();

// The tree hashes millions of 33- and 65-byte inputs (appends, rebuilds, verify, verify-log):
// one-shot crypto.hash over a reused scratch buffer allocates only the digest.
const LEAF32 = Buffer.alloc(33);
const NODE = Buffer.alloc(65, 1);

export function leafHash(input: Uint8Array): Buffer {
  if (input.length === 32) {
    LEAF32.set(input, 1);
    return hash('sha256', LEAF32, 'buffer') as unknown as Buffer;
  }
  return createHash('sha256').update(Buffer.from([0])).update(input).digest();
}

/** leafHash(Buffer.from(hex, 'hex')): for an event's hash as stored (64 hex digits), without making a Buffer of the input. */
export function leafHashOfHex(hex: string): Buffer {
  if (hex.length === 64 && LEAF32.write(hex, 1, 'hex') === 32) return hash('sha256', LEAF32, 'buffer') as unknown as Buffer;
  return leafHash(Buffer.from(hex, 'hex'));
}

export function nodeHash(left: Uint8Array, right: Uint8Array): Buffer {
  if (left.length !== 32 || right.length !== 32) throw new RangeError('tree node hashes are 32 bytes');
  NODE.set(left, 1);
  NODE.set(right, 33);
  return hash('sha256', NODE, 'buffer') as unknown as Buffer;
}

/** The largest power of two strictly below n (n ≥ 2). */
export function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

const isPow2 = (n: number) => n > 0 && (n <= 0x40000000 ? (n & (n - 1)) === 0 : 2 ** Math.round(Math.log2(n)) === n);
const log2 = (n: number) => Math.round(Math.log2(n));

function assertSize(name: string, n: number): void {
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`${name} must be a non-negative integer, got ${n}`);
}

/** MTH(D[offset : offset+size]) from perfect nodes (offset aligned as RFC 9162's recursion leaves it). */
export function subtreeRoot(read: NodeReader, offset: number, size: number): Buffer {
  if (size === 0) return EMPTY_ROOT;
  if (isPow2(size) && offset % size === 0) return read(log2(size), offset / size);
  const k = splitPoint(size);
  return nodeHash(subtreeRoot(read, offset, k), subtreeRoot(read, offset + k, size - k));
}

/** The root of the tree of the first `size` leaves. */
export function rootAt(size: number, read: NodeReader): Buffer {
  assertSize('size', size);
  return subtreeRoot(read, 0, size);
}

/** RFC 9162 §2.1.3.1: the audit path of leaf `index` (0-based) in the tree of `size` leaves, leaf side first. */
export function inclusionProof(index: number, size: number, read: NodeReader): Buffer[] {
  assertSize('size', size);
  if (!Number.isSafeInteger(index) || index < 0 || index >= size) throw new RangeError(`leaf index ${index} is not in a tree of size ${size}`);
  const path: Buffer[] = [];
  let offset = 0;
  let n = size;
  let m = index;
  // Walk down from the root, collecting the sibling subtree at each split; the path lists them bottom-up.
  while (n > 1) {
    const k = splitPoint(n);
    if (m < k) {
      path.push(subtreeRoot(read, offset + k, n - k));
      n = k;
    } else {
      path.push(subtreeRoot(read, offset, k));
      offset += k;
      m -= k;
      n -= k;
    }
  }
  return path.reverse();
}

/** RFC 9162 §2.1.4.1: the consistency proof from the tree of `from` leaves to the tree of `to` leaves. */
export function consistencyProof(from: number, to: number, read: NodeReader): Buffer[] {
  assertSize('from', from);
  assertSize('to', to);
  if (from > to) throw new RangeError(`from (${from}) is larger than to (${to})`);
  if (from === 0 || from === to) return [];
  const proof: Buffer[] = [];
  // SUBPROOF(m, D[offset : offset+n], b), iteratively; the proof lists nodes bottom-up.
  let offset = 0;
  let n = to;
  let m = from;
  let b = true;
  while (m !== n) {
    const k = splitPoint(n);
    if (m <= k) {
      proof.push(subtreeRoot(read, offset + k, n - k));
      n = k;
    } else {
      proof.push(subtreeRoot(read, offset, k));
      offset += k;
      m -= k;
      n -= k;
      b = false;
    }
  }
  if (!b) proof.push(subtreeRoot(read, offset, m));
  return proof.reverse();
}

/**
 * The perfect nodes a computation reads, without their hashes (deduplicated, in first-read
 * order): run it once with this, fetch them, run it again with the real reader.
 */
export function nodesNeeded(compute: (read: NodeReader) => unknown): NodeId[] {
  const seen = new Map<string, NodeId>();
  const zero = Buffer.alloc(32);
  compute((level, index) => {
    const key = `${level}:${index}`;
    if (!seen.has(key)) seen.set(key, { level, index });
    return zero;
  });
  return [...seen.values()];
}

/**
 * A stored node's key, in the order appends complete nodes: node (level, index) is complete
 * once the tree has m = (index + 1)·2^level leaves, and key = m·64 + level. Keys only grow as
 * the log grows, so a store keyed by them appends at its right edge (one or two B-tree pages
 * per commit, not one per level).
 */
export function nodeKey(level: number, index: number): number {
  return (index + 1) * 2 ** level * 64 + level;
}

export function nodeOfKey(key: number): NodeId {
  const level = key % 64;
  const completedAt = Math.floor(key / 64);
  return { level, index: completedAt / 2 ** level - 1 };
}

/** The perfect subtrees of a tree of `size` leaves (its binary decomposition), largest (leftmost) first. */
export function frontierIds(size: number): NodeId[] {
  assertSize('size', size);
  const out: NodeId[] = [];
  let start = 0;
  for (let level = 52; level >= 0; level--) {
    const width = 2 ** level;
    if (size - start >= width) {
      out.push({ level, index: start / width });
      start += width;
    }
  }
  return out;
}

/** The root of a tree given its frontier (frontierIds order, with hashes). */
export function rootOfFrontier(frontier: readonly TreeNode[]): Buffer {
  if (frontier.length === 0) return EMPTY_ROOT;
  let acc = frontier[frontier.length - 1].hash;
  for (let i = frontier.length - 2; i >= 0; i--) acc = nodeHash(frontier[i].hash, acc);
  return acc;
}

/**
 * Appends one leaf hash to a frontier (mutated in place): every perfect subtree it completes
 * (level ≥ 1) is passed to `completed`, lowest first. The frontier stays in frontierIds order.
 */
export function appendLeaf(frontier: TreeNode[], index: number, hash: Buffer, completed?: (node: TreeNode) => void): void {
  frontier.push({ level: 0, index, hash });
  while (frontier.length >= 2) {
    const right = frontier[frontier.length - 1];
    const left = frontier[frontier.length - 2];
    if (left.level !== right.level) break;
    frontier.length -= 2;
    const node: TreeNode = { level: left.level + 1, index: left.index / 2, hash: nodeHash(left.hash, right.hash) };
    completed?.(node);
    frontier.push(node);
  }
}

/** The root of a perfect subtree from its leaf hashes (2^k of them, in order). */
export function perfectRoot(leaves: readonly Buffer[]): Buffer {
  if (!isPow2(leaves.length)) throw new RangeError(`a perfect subtree has 2^k leaves, not ${leaves.length}`);
  const frontier: TreeNode[] = [];
  leaves.forEach((leaf, i) => appendLeaf(frontier, i, leaf));
  return frontier[0].hash;
}

// ---------------------------------------------------------------------------------------------
// Verification (RFC 9162 §2.1.3.2 and §2.1.4.2): what an auditor, a witness or a browser runs.

const eq = (a: Uint8Array, b: Uint8Array) => a.length === b.length && Buffer.compare(Buffer.from(a), Buffer.from(b)) === 0;

/** The root an inclusion proof leads to, or null when its length does not fit the index and size. */
export function rootFromInclusionProof(leaf: Uint8Array, index: number, size: number, proof: readonly Uint8Array[]): Buffer | null {
  if (!Number.isSafeInteger(index) || !Number.isSafeInteger(size) || index < 0 || index >= size) return null;
  if (leaf.length !== 32 || proof.some((p) => p.length !== 32)) return null;
  let fn = index;
  let sn = size - 1;
  let r: Buffer = Buffer.from(leaf);
  for (const p of proof) {
    if (sn === 0) return null;
    if (fn % 2 === 1 || fn === sn) {
      r = nodeHash(p, r);
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn = Math.floor(fn / 2);
          sn = Math.floor(sn / 2);
        }
      }
    } else {
      r = nodeHash(r, p);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 ? r : null;
}

export function verifyInclusion(leaf: Uint8Array, index: number, size: number, proof: readonly Uint8Array[], root: Uint8Array): boolean {
  const r = rootFromInclusionProof(leaf, index, size, proof);
  return r !== null && eq(r, root);
}

export function verifyConsistency(from: number, to: number, fromRoot: Uint8Array, toRoot: Uint8Array, proof: readonly Uint8Array[]): boolean {
  if (!Number.isSafeInteger(from) || !Number.isSafeInteger(to) || from < 0 || from > to) return false;
  if (fromRoot.length !== 32 || toRoot.length !== 32 || proof.some((p) => p.length !== 32)) return false;
  if (from === to) return proof.length === 0 && eq(fromRoot, toRoot);
  if (from === 0) return proof.length === 0; // the empty tree is consistent with every tree
  if (proof.length === 0) return false;
  let path = [...proof];
  // If from is a power of two, the old root is the first node of the path.
  if (isPow2(from)) path = [Buffer.from(fromRoot), ...path];
  let fn = from - 1;
  let sn = to - 1;
  while (fn % 2 === 1) {
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  let fr: Buffer = Buffer.from(path[0]);
  let sr: Buffer = Buffer.from(path[0]);
  for (const c of path.slice(1)) {
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      fr = nodeHash(c, fr);
      sr = nodeHash(c, sr);
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn = Math.floor(fn / 2);
          sn = Math.floor(sn / 2);
        }
      }
    } else {
      sr = nodeHash(sr, c);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 && eq(fr, fromRoot) && eq(sr, toRoot);
}
