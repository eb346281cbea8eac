import fc from 'fast-check';
import { createHash } from 'node:crypto';
import vectors from '../../fixtures/rfc6962/vectors.json';
import {
  EMPTY_ROOT,
  appendLeaf,
  consistencyProof,
  frontierIds,
  inclusionProof,
  leafHash,
  leafHashOfHex,
  nodeHash,
  nodeKey,
  nodeOfKey,
  nodesNeeded,
  perfectRoot,
  rootAt,
  rootOfFrontier,
  splitPoint,
  verifyConsistency,
  verifyInclusion,
  type NodeReader,
  type TreeNode,
} from '../../../src/transparency/merkle';

/** The plain recursive definitions of RFC 9162 §2.1 over leaf hashes: the reference. */
function mth(leaves: Buffer[]): Buffer {
  if (leaves.length === 0) return createHash('sha256').digest();
  if (leaves.length === 1) return leaves[0];
  const k = splitPoint(leaves.length);
  return nodeHash(mth(leaves.slice(0, k)), mth(leaves.slice(k)));
}
function path(m: number, leaves: Buffer[]): Buffer[] {
  if (leaves.length <= 1) return [];
  const k = splitPoint(leaves.length);
  return m < k ? [...path(m, leaves.slice(0, k)), mth(leaves.slice(k))] : [...path(m - k, leaves.slice(k)), mth(leaves.slice(0, k))];
}
function subproof(m: number, leaves: Buffer[], b: boolean): Buffer[] {
  const n = leaves.length;
  if (m === n) return b ? [] : [mth(leaves)];
  const k = splitPoint(n);
  return m <= k ? [...subproof(m, leaves.slice(0, k), b), mth(leaves.slice(k))] : [...subproof(m - k, leaves.slice(k), false), mth(leaves.slice(0, k))];
}
const proofRef = (m: number, leaves: Buffer[]) => (m === 0 || m === leaves.length ? [] : subproof(m, leaves, true));

/** A reader over perfect subtrees computed from the leaves (what the store keeps), counting reads. */
const memo = new Map<string, Buffer>();
function readerOver(leaves: Buffer[], memoize = false): { read: NodeReader; reads: () => number } {
  let reads = 0;
  const read: NodeReader = (level, index) => {
    reads++;
    const width = 2 ** level;
    const slice = leaves.slice(index * width, (index + 1) * width);
    if (slice.length !== width) throw new Error(`no node (${level}, ${index})`);
    if (!memoize) return mth(slice);
    const key = `${level}:${index}`; // only for prefixes of one leaf sequence (\`big\`)
    let h = memo.get(key);
    if (!h) memo.set(key, (h = mth(slice)));
    return h;
  };
  return { read, reads: () => reads };
}

const hex = (bs: Buffer[]) => bs.map((b) => b.toString('hex'));
const fromHex = (xs: string[]) => xs.map((x) => Buffer.from(x, 'hex'));
const leavesOf = (inputs: string[]) => inputs.map((x) => leafHash(Buffer.from(x, 'hex')));
const randomLeaves = (n: number, seed: number) => Array.from({ length: n }, (_, i) => leafHash(Buffer.from(`${seed}:${i}`)));

describe('RFC 6962 / 9162 Merkle tree: the vectors', () => {
  const all = leavesOf(vectors.leafInputs);

  it('roots of every prefix, byte for byte (size 0 is SHA-256 of nothing)', () => {
    expect(EMPTY_ROOT.toString('hex')).toBe(vectors.roots[0]);
    for (let n = 0; n <= all.length; n++) {
      const { read } = readerOver(all.slice(0, n));
      expect(rootAt(n, read).toString('hex')).toBe(vectors.roots[n]);
    }
  });

  it('every inclusion proof, and each verifies against the root', () => {
    expect(vectors.inclusion.length).toBeGreaterThan(30);
    for (const v of vectors.inclusion) {
      const { read } = readerOver(all.slice(0, v.treeSize));
      expect(hex(inclusionProof(v.leafIndex, v.treeSize, read))).toEqual(v.proof);
      const root = Buffer.from(vectors.roots[v.treeSize], 'hex');
      expect(verifyInclusion(all[v.leafIndex], v.leafIndex, v.treeSize, fromHex(v.proof), root)).toBe(true);
    }
  });

  it('every consistency proof, and each verifies', () => {
    expect(vectors.consistency.length).toBeGreaterThan(30);
    for (const v of vectors.consistency) {
      const { read } = readerOver(all.slice(0, v.size2));
      expect(hex(consistencyProof(v.size1, v.size2, read))).toEqual(v.proof);
      const ok = verifyConsistency(v.size1, v.size2, Buffer.from(vectors.roots[v.size1], 'hex'), Buffer.from(vectors.roots[v.size2], 'hex'), fromHex(v.proof));
      expect(ok).toBe(true);
    }
  });
});

describe('Merkle tree: against the plain recursive reference', () => {
  const big = randomLeaves(10_000, 7);

  it('roots, inclusion and consistency proofs for random sizes up to 10,000', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 10_000 }), fc.nat(), fc.nat(), (n, a, b) => {
        const leaves = big.slice(0, n);
        const { read, reads } = readerOver(leaves, true);
        const root = rootAt(n, read);
        expect(root.equals(mth(leaves))).toBe(true);
        const m = a % n;
        const p = inclusionProof(m, n, read);
        expect(hex(p)).toEqual(hex(path(m, leaves)));
        expect(verifyInclusion(leaves[m], m, n, p, root)).toBe(true);
        const from = 1 + (b % n);
        const c = consistencyProof(from, n, read);
        expect(hex(c)).toEqual(hex(proofRef(from, leaves)));
        expect(verifyConsistency(from, n, mth(leaves.slice(0, from)), root, c)).toBe(true);
        // O(log n) reads of stored nodes for a root and two proofs.
        expect(reads()).toBeLessThanOrEqual(6 * (Math.ceil(Math.log2(n + 1)) + 1));
      }),
      { numRuns: 30 },
    );
  });

  it('the frontier built leaf by leaf gives every completed node and the root of every size', () => {
    const leaves = randomLeaves(300, 3);
    const frontier: TreeNode[] = [];
    const completed: TreeNode[] = [];
    leaves.forEach((h, i) => {
      appendLeaf(frontier, i, h, (node) => completed.push(node));
      expect(frontier.map(({ level, index }) => ({ level, index }))).toEqual(frontierIds(i + 1));
      expect(rootOfFrontier(frontier).equals(mth(leaves.slice(0, i + 1)))).toBe(true);
    });
    // Every perfect subtree of level >= 1 exactly once, with its hash.
    expect(completed.length).toBe(leaves.length - frontierIds(leaves.length).length); // n - popcount(n)
    for (const node of completed) expect(node.hash.equals(mth(leaves.slice(node.index * 2 ** node.level, (node.index + 1) * 2 ** node.level)))).toBe(true);
    // Stored keys grow in the order appends complete nodes, and name their node.
    const keys = completed.map((n) => nodeKey(n.level, n.index));
    for (let i = 1; i < keys.length; i++) expect(keys[i]).toBeGreaterThan(keys[i - 1]);
    for (const n of completed) expect(nodeOfKey(nodeKey(n.level, n.index))).toEqual({ level: n.level, index: n.index });
    expect(nodeOfKey(nodeKey(30, 2 ** 12))).toEqual({ level: 30, index: 2 ** 12 }); // keys stay exact below 2^53: logs up to 2^46 events
  });

  it('nodesNeeded lists exactly the perfect nodes a proof reads, without reading them', () => {
    const ids = nodesNeeded((read) => inclusionProof(5, 1000, read));
    expect(ids.length).toBeGreaterThan(0);
    expect(ids.length).toBeLessThanOrEqual(2 * 11);
    for (const { level, index } of ids) expect((index + 1) * 2 ** level).toBeLessThanOrEqual(1000);
  });
});

describe('Merkle proofs: what must be rejected', () => {
  const leaves = randomLeaves(37, 11);
  const { read } = readerOver(leaves);
  const root = rootAt(37, read);

  it('an inclusion proof for a tampered leaf, a wrong index, a wrong size, a cut or padded proof', () => {
    const p = inclusionProof(9, 37, read);
    expect(verifyInclusion(leaves[9], 9, 37, p, root)).toBe(true);
    expect(verifyInclusion(leafHash(Buffer.from('tampered')), 9, 37, p, root)).toBe(false);
    expect(verifyInclusion(leaves[9], 8, 37, p, root)).toBe(false);
    expect(verifyInclusion(leaves[9], 9, 70, p, root)).toBe(false); // (the size itself is what the signed checkpoint vouches for)
    expect(verifyInclusion(leaves[9], 9, 37, p.slice(1), root)).toBe(false);
    expect(verifyInclusion(leaves[9], 9, 37, [...p, p[0]], root)).toBe(false);
    expect(verifyInclusion(leaves[9], 37, 37, p, root)).toBe(false);
    expect(verifyInclusion(leaves[9], 9, 37, [p[0].subarray(1), ...p.slice(1)], root)).toBe(false); // a short node
  });

  it('a consistency proof against a rewritten old tree, or with a flipped byte', () => {
    const c = consistencyProof(20, 37, read);
    const oldRoot = mth(leaves.slice(0, 20));
    expect(verifyConsistency(20, 37, oldRoot, root, c)).toBe(true);
    const rewritten = [...leaves];
    rewritten[3] = leafHash(Buffer.from('edited'));
    expect(verifyConsistency(20, 37, oldRoot, mth(rewritten), consistencyProof(20, 37, readerOver(rewritten).read))).toBe(false);
    const flipped = c.map((b) => Buffer.from(b));
    flipped[0][0] ^= 1;
    expect(verifyConsistency(20, 37, oldRoot, root, flipped)).toBe(false);
    expect(verifyConsistency(21, 37, oldRoot, root, c)).toBe(false);
    expect(verifyConsistency(37, 20, root, oldRoot, c)).toBe(false);
  });

  it('proof requests outside the tree throw', () => {
    expect(() => inclusionProof(37, 37, read)).toThrow(RangeError);
    expect(() => consistencyProof(38, 37, read)).toThrow(RangeError);
  });
});

describe('leafHashOfHex and perfectRoot (the stored tree\'s helpers)', () => {
  it('leafHashOfHex is leafHash of the bytes the hex spells, for an event hash and for anything else', () => {
    for (const hex of [createHash('sha256').update('x').digest('hex'), 'ab', '', 'zz'.repeat(32), '0'.repeat(62) + 'g1']) {
      expect(leafHashOfHex(hex).equals(leafHash(Buffer.from(hex, 'hex')))).toBe(true);
    }
  });

  it('perfectRoot is the RFC 9162 root of 2^k leaves, and refuses other counts', () => {
    const leaves = Array.from({ length: 8 }, (_, i) => leafHash(Buffer.from([i])));
    const pair = (a: Buffer, b: Buffer) => nodeHash(a, b);
    const expected = pair(pair(pair(leaves[0], leaves[1]), pair(leaves[2], leaves[3])), pair(pair(leaves[4], leaves[5]), pair(leaves[6], leaves[7])));
    expect(perfectRoot(leaves).equals(expected)).toBe(true);
    expect(perfectRoot([leaves[3]]).equals(leaves[3])).toBe(true);
    expect(() => perfectRoot(leaves.slice(0, 3))).toThrow(RangeError);
  });
});
