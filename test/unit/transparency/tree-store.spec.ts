import 'reflect-metadata';
import type { DataSource } from 'typeorm';
import { createDataSourceFor, migrate } from '../../../src/database/data-source';
import { verifyChain } from '../../../src/ledger/chain-verifier';
import { EventStore } from '../../../src/ledger/event-store';
import { LedgerReader } from '../../../src/ledger/ledger-reader';
import { readModelProjectors } from '../../../src/projections';
import { queryOf, storedConsistency, storedInclusion, storedRoot, treeSize } from '../../../src/projections/merkle-tree/queries';
import { MerkleUpperLevels1764600000026 } from '../../../src/database/migrations/1764600000026-MerkleUpperLevels';
import { MIN_STORED_LEVEL } from '../../../src/projections/merkle-tree/tables';
import { StoredTreeCheck, storedNodesOf } from '../../../src/projections/merkle-tree/tree-check';
import { ProjectionRebuilder } from '../../../src/projections/projection-rebuilder';
import { appendLeaf, leafHash, nodeHash, nodeKey, splitPoint, verifyConsistency, verifyInclusion, type TreeNode } from '../../../src/transparency/merkle';
import { TEST_PG_URL, dropSchema, uniqueSchema } from '../../support/postgres';
import { testMetadata } from '../../support/ledger';
import { tempDbPath } from '../../support/temp';

/**
 * The stored Merkle tree as the appends keep it (group commits of many events, refused requests
 * in between, several writers on PostgreSQL), against the tree recomputed from the log; the
 * rebuild gives the same table; verify finds a damaged node.
 */

function mth(leaves: Buffer[]): Buffer {
  if (leaves.length === 1) return leaves[0];
  const k = splitPoint(leaves.length);
  return nodeHash(mth(leaves.slice(0, k)), mth(leaves.slice(k)));
}

interface Db {
  ds: DataSource;
  store: EventStore;
  config: { databasePath: string; databaseUrl: string | null; databaseSchema: string | null };
  close(): Promise<void>;
}

async function openDb(dialect: 'sqlite' | 'postgres'): Promise<Db> {
  const temp = dialect === 'sqlite' ? tempDbPath('claim-ledger-tree-') : null;
  const config = temp
    ? { databasePath: temp.dbPath, databaseUrl: null, databaseSchema: null }
    : { databasePath: '', databaseUrl: TEST_PG_URL, databaseSchema: uniqueSchema('tree') };
  const ds = createDataSourceFor(config);
  await ds.initialize();
  await migrate(ds);
  const store = await EventStore.openFor(config);
  for (const p of readModelProjectors()) store.registerProjector(p);
  return {
    ds,
    store,
    config,
    async close() {
      await store.close();
      await ds.destroy();
      if (temp) temp.cleanup();
      else await dropSchema(config.databaseSchema!);
    },
  };
}

const append = (store: EventStore, i: number, expectedVersion: number | 'any' = 'any') =>
  store.append({
    streamId: `evidence-s${i % 17}`,
    expectedVersion,
    events: [{ type: 'EvidenceRetracted', data: { reason: `r${i}` } } as never],
    metadata: testMetadata(),
  });

async function leavesOf(ds: DataSource): Promise<Buffer[]> {
  const rows: Array<{ hash: string }> = await ds.query('SELECT hash FROM events ORDER BY position');
  return rows.map((r) => leafHash(Buffer.from(r.hash, 'hex')));
}

async function expectTreeMatchesLog(ds: DataSource): Promise<void> {
  const q = queryOf(ds);
  const leaves = await leavesOf(ds);
  const n = await treeSize(q);
  expect(n).toBe(leaves.length);
  for (const size of [1, 2, 3, 7, 8, 15, 16, 17, 31, 33, 64, 100, n - 1, n].filter((s) => s >= 1 && s <= n)) {
    expect((await storedRoot(q, size)).equals(mth(leaves.slice(0, size)))).toBe(true);
  }
  const root = await storedRoot(q, n);
  for (const position of [1, 2, 16, 17, Math.ceil(n / 3), n - 1, n].filter((p) => p >= 1 && p <= n)) {
    const p = await storedInclusion(q, position, n);
    expect(verifyInclusion(p.leafHash, position - 1, n, p.proof, root)).toBe(true);
  }
  const c = await storedConsistency(q, Math.ceil(n / 2), n);
  expect(verifyConsistency(Math.ceil(n / 2), n, c.fromRoot, root, c.proof)).toBe(true);
}

describe.each(['sqlite', 'postgres'] as const)('the stored Merkle tree (%s)', (dialect) => {
  let db: Db;
  beforeEach(async () => {
    db = await openDb(dialect);
  });
  afterEach(async () => {
    await db.close();
  });

  it('follows group commits with refused requests among them, survives a rebuild, and verify checks it', async () => {
    // Concurrent appends: they go in as group commits; some are refused (wrong expected version).
    const results = await Promise.allSettled(Array.from({ length: 300 }, (_, i) => append(db.store, i, i % 29 === 5 ? 99 : 'any')));
    expect(results.filter((r) => r.status === 'rejected').length).toBeGreaterThan(0);
    for (let i = 0; i < 37; i++) await append(db.store, 1000 + i); // one at a time too
    await expectTreeMatchesLog(db.ds);

    const before = await db.ds.query('SELECT id, hash FROM merkle_nodes ORDER BY id');
    await new ProjectionRebuilder(db.store).rebuild();
    expect(await db.ds.query('SELECT id, hash FROM merkle_nodes ORDER BY id')).toEqual(before);
    const check = () => verifyChain(new LedgerReader(db.ds), 50, [new StoredTreeCheck(queryOf(db.ds))]);
    expect(await check()).toMatchObject({ ok: true });

    // One stored node changed: verify names where it starts.
    await db.store.transaction((tx) => tx.run(`UPDATE merkle_nodes SET hash = ? WHERE id = ?`, [Buffer.alloc(32, 7), nodeKey(4, 5)]));
    expect(await check()).toMatchObject({ ok: false, firstBadPosition: 81, problem: expect.stringMatching(/node \(level 4, index 5.*does not match/) });
    // A node beyond the log.
    await new ProjectionRebuilder(db.store).rebuild();
    await db.store.transaction((tx) => tx.run(`INSERT INTO merkle_nodes (id, hash) VALUES (?, ?)`, [nodeKey(4, 100000), Buffer.alloc(32)]));
    expect(await check()).toMatchObject({ ok: false, problem: expect.stringMatching(/nodes where the log|beyond the head/) });
    // A node of a level that is not stored (recomputed from the events), inside the log.
    await new ProjectionRebuilder(db.store).rebuild();
    await db.store.transaction((tx) => tx.run(`INSERT INTO merkle_nodes (id, hash) VALUES (?, ?)`, [nodeKey(1, 3), Buffer.alloc(32)]));
    expect(await check()).toMatchObject({ ok: false, problem: expect.stringMatching(/does not make|nodes where the log/) });
  });

  it('follows a group commit redone carefully (a read-model write failed: one request refused, savepoints)', async () => {
    const claim = {
      kind: 'claim',
      statement: 'twice',
      speaker: { name: 'Dmitry Peskov' },
      madeAt: '2022-03-30T12:00:00+03:00',
      source: { url: 'https://example.org/x' },
      topics: [],
      scope: null,
    };
    const recordTwice = (i: number) =>
      db.store.append({ streamId: 'claim-00000000-0000-4000-8000-000000000001', expectedVersion: 'any', events: [{ type: 'ClaimRecorded', data: claim } as never], metadata: testMetadata(`r${i}`) });
    // Issued in one tick: one group commit, in which the second ClaimRecorded of one claim fails the claims read model.
    const results = await Promise.allSettled([
      ...Array.from({ length: 10 }, (_, i) => append(db.store, i)),
      recordTwice(1),
      ...Array.from({ length: 10 }, (_, i) => append(db.store, 100 + i)),
      recordTwice(2),
      ...Array.from({ length: 10 }, (_, i) => append(db.store, 200 + i)),
    ]);
    expect(results.filter((r) => r.status === 'rejected')).toHaveLength(1);
    await expectTreeMatchesLog(db.ds);
    for (let i = 0; i < 5; i++) await append(db.store, 300 + i);
    await expectTreeMatchesLog(db.ds);
  });

  it('follows a group commit redone carefully where a write after the tree failed (the frontier from this commit\'s own events)', async () => {
    // A read model after the tree that refuses some events: the tree has taken the refused event
    // (then rolled back to the request's savepoint), and the next request's frontier needs events of
    // this uncommitted group commit, which are not in `events` yet.
    db.store.registerProjector({
      name: 'refuses-some',
      tables: [],
      apply: async (_tx, e) => {
        if ((e.data as { reason?: string }).reason?.startsWith('refuse')) throw new Error('refused by the test read model');
      },
    });
    const refused = (i: number) =>
      db.store.append({ streamId: `evidence-x${i}`, expectedVersion: 'any', events: [{ type: 'EvidenceRetracted', data: { reason: `refuse${i}` } } as never], metadata: testMetadata() });
    for (let i = 0; i < 5; i++) await append(db.store, i); // the log does not start at a multiple of 16
    const results = await Promise.allSettled([
      ...Array.from({ length: 21 }, (_, i) => append(db.store, 10 + i)),
      refused(1),
      ...Array.from({ length: 7 }, (_, i) => append(db.store, 40 + i)),
      refused(2),
      refused(3),
      ...Array.from({ length: 30 }, (_, i) => append(db.store, 60 + i)),
    ]);
    expect(results.filter((r) => r.status === 'rejected')).toHaveLength(3);
    await expectTreeMatchesLog(db.ds);
    for (let i = 0; i < 5; i++) await append(db.store, 300 + i);
    await expectTreeMatchesLog(db.ds);
  });

  it('keeps only the levels ≥ MIN_STORED_LEVEL, and a rebuild writes exactly the rows the appends wrote', async () => {
    // Enough events for several rebuild pages (1,000 events each), in group commits of odd sizes.
    for (let done = 0; done < 2_345; ) {
      const n = Math.min(2_345 - done, 1 + (done % 97));
      await Promise.all(Array.from({ length: n }, (_, i) => append(db.store, done + i)));
      done += n;
    }
    await expectTreeMatchesLog(db.ds);
    const incremental: Array<{ id: number | string; hash: Buffer }> = await db.ds.query('SELECT id, hash FROM merkle_nodes ORDER BY id');
    // Exactly the perfect subtrees of level ≥ MIN_STORED_LEVEL of the log, recomputed here.
    const expected: TreeNode[] = [];
    const frontier: TreeNode[] = [];
    (await leavesOf(db.ds)).forEach((leaf, i) => appendLeaf(frontier, i, leaf, (n) => n.level >= MIN_STORED_LEVEL && expected.push(n)));
    expect(incremental.map((r) => Number(r.id))).toEqual(expected.map((n) => nodeKey(n.level, n.index)).sort((a, b) => a - b));
    expect(incremental.length).toBe(storedNodesOf(2_345));
    // The point of the layout: far fewer rows (writes per append) than one per event (levels ≥ 1: 2,345 − popcount = 2,340).
    expect(incremental.length).toBeLessThanOrEqual(2_345 / 2 ** (MIN_STORED_LEVEL - 1));

    await new ProjectionRebuilder(db.store).rebuild();
    const rebuilt: Array<{ id: number | string; hash: Buffer }> = await db.ds.query('SELECT id, hash FROM merkle_nodes ORDER BY id');
    expect(rebuilt).toEqual(incremental);
    // And the appends continue the rebuilt tree (the projector's frontier is read back from the table and the log).
    await Promise.all(Array.from({ length: 40 }, (_, i) => append(db.store, 9_000 + i)));
    await expectTreeMatchesLog(db.ds);
  });

  it('migration 1764600000026: down puts level 1 back (recomputed from the log), up drops it again', async () => {
    for (let i = 0; i < 7; i++) await Promise.all(Array.from({ length: 13 }, (_, k) => append(db.store, i * 20 + k)));
    const rows = async (): Promise<Array<{ id: number; hash: string }>> =>
      ((await db.ds.query('SELECT id, hash FROM merkle_nodes ORDER BY id')) as Array<{ id: number | string; hash: Buffer }>).map((r) => ({ id: Number(r.id), hash: Buffer.from(r.hash).toString('hex') }));
    const upper = await rows();
    const all: TreeNode[] = [];
    const frontier: TreeNode[] = [];
    (await leavesOf(db.ds)).forEach((leaf, i) => appendLeaf(frontier, i, leaf, (n) => all.push(n)));
    const migration = new MerkleUpperLevels1764600000026();
    const runner = db.ds.createQueryRunner();
    try {
      await migration.down(runner);
      const full = await rows();
      expect(full).toEqual(all.map((n) => ({ id: nodeKey(n.level, n.index), hash: n.hash.toString('hex') })).sort((x, y) => x.id - y.id));
      expect(full.length).toBeGreaterThan(upper.length);
      await migration.up(runner);
      expect(await rows()).toEqual(upper);
    } finally {
      await runner.release();
    }
  });

  it('continues the tree another writer grew (frontier from the stored levels and the last events)', async () => {
    const other = await EventStore.openFor(db.config);
    for (const p of readModelProjectors()) other.registerProjector(p);
    try {
      // Turns of odd sizes, so each writer finds a log whose size is not a multiple of 16.
      for (let turn = 0; turn < 8; turn++) {
        const store = turn % 2 ? other : db.store;
        await Promise.all(Array.from({ length: 3 + turn * 5 }, (_, i) => append(store, turn * 100 + i)));
      }
    } finally {
      await other.close();
    }
    await expectTreeMatchesLog(db.ds);
    expect(await verifyChain(new LedgerReader(db.ds), 50, [new StoredTreeCheck(queryOf(db.ds))])).toMatchObject({ ok: true });
  });

  if (dialect === 'postgres') {
    it('two writers (two processes\' stores) appending at once keep one tree', async () => {
      const other = await EventStore.openFor(db.config);
      for (const p of readModelProjectors()) other.registerProjector(p);
      try {
        await Promise.all([
          ...Array.from({ length: 120 }, (_, i) => append(db.store, i)),
          ...Array.from({ length: 120 }, (_, i) => append(other, 500 + i)),
        ]);
      } finally {
        await other.close();
      }
      await expectTreeMatchesLog(db.ds);
    });
  }
});
