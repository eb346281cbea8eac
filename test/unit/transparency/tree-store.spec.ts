import 'reflect-metadata';
import type { DataSource } from 'typeorm';
import { createDataSourceFor, migrate } from '../../../src/database/data-source';
import { verifyChain } from '../../../src/ledger/chain-verifier';
import { EventStore } from '../../../src/ledger/event-store';
import { LedgerReader } from '../../../src/ledger/ledger-reader';
import { readModelProjectors } from '../../../src/projections';
import { queryOf, storedConsistency, storedInclusion, storedRoot, treeSize } from '../../../src/projections/merkle-tree/queries';
import { StoredTreeCheck } from '../../../src/projections/merkle-tree/tree-check';
import { ProjectionRebuilder } from '../../../src/projections/projection-rebuilder';
import { leafHash, nodeHash, nodeKey, splitPoint, verifyConsistency, verifyInclusion } from '../../../src/transparency/merkle';
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
  for (const size of [1, 2, 3, 7, 8, 64, n - 1, n].filter((s) => s >= 1 && s <= n)) {
    expect((await storedRoot(q, size)).equals(mth(leaves.slice(0, size)))).toBe(true);
  }
  const root = await storedRoot(q, n);
  for (const position of [1, 2, Math.ceil(n / 3), n]) {
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
    await db.store.transaction((tx) => tx.run(`UPDATE merkle_nodes SET hash = ? WHERE id = ?`, [Buffer.alloc(32, 7), nodeKey(3, 5)]));
    expect(await check()).toMatchObject({ ok: false, firstBadPosition: 41, problem: expect.stringMatching(/node \(level 3, index 5.*does not match/) });
    // A node beyond the log.
    await new ProjectionRebuilder(db.store).rebuild();
    await db.store.transaction((tx) => tx.run(`INSERT INTO merkle_nodes (id, hash) VALUES (?, ?)`, [nodeKey(1, 100000), Buffer.alloc(32)]));
    expect(await check()).toMatchObject({ ok: false, problem: expect.stringMatching(/nodes where the log/) });
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
