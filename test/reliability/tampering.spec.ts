import { GENESIS_HASH, eventHash } from '../../src/ledger/hash-chain';
import { crimeaClaimBody, evidenceBody } from '../support/app';
import { Client, expectStatus, seen } from './support/client';
import { health, pool, settle, until, verify } from './support/ledger';
import { ServiceProcess, tempDir } from './support/service';
import { Db } from './support/sqlite';
import { note, writeSummary } from './support/summary';
import { EVENT_COLUMNS, type EventRow } from '../../src/ledger/ledger-reader';

/**
 * Tampering with the SQLite file directly, as someone holding the file would: drop the
 * append-only triggers, then edit, delete or reorder rows — while the service runs, and while it
 * is stopped. GET /api/ledger/verify must name the first bad position and /health must say 503
 * (the newest events are re-hashed on every call; the whole chain at start and every
 * CHAIN_FULL_VERIFY_MS), and both must be healthy again once the rows are put back.
 */

jest.setTimeout(120_000);

const dir = tempDir('tamper');
let service: ServiceProcess;
let admin: Client;
let head = 0;

type Row = EventRow;
const COLUMNS = EVENT_COLUMNS;

async function withDb<T>(work: (db: Db) => Promise<T>): Promise<T> {
  const db = await Db.open(dir.file());
  try {
    // Every trigger guarding the log goes first, as an intruder with the file would do.
    for (const t of await db.all<{ name: string }>(`SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'events'`)) {
      await db.exec(`DROP TRIGGER "${t.name}"`);
    }
    return await work(db);
  } finally {
    await db.close();
  }
}

const rowAt = (db: Db, position: number) => db.all<Row>(`SELECT ${COLUMNS} FROM events WHERE position = ?`, [position]).then((r) => r[0]);

async function putBack(db: Db, row: Row): Promise<void> {
  await db.run('DELETE FROM events WHERE position = ?', [row.position]);
  await db.run(`INSERT INTO events (${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, [
    row.position, row.stream_id, row.stream_version, row.type, row.data, row.metadata, row.recorded_at, row.prev_hash, row.hash,
  ]);
}

/**
 * The admin's full verify names `bad`; from then on the ordinary (incremental) verify names it
 * too, until a full walk passes again; and /health turns 503 naming the chain.
 */
async function expectDamage(bad: number, what: string): Promise<void> {
  // (A walk the background check began before the edit may answer first: concurrent full asks share one walk.)
  const v = await until(`a full verify to report ${what}`, () => verify(admin, { full: true }), (x) => !x.ok, 15_000, 100);
  expect({ what, ok: v.ok, firstBadPosition: v.firstBadPosition }).toEqual({ what, ok: false, firstBadPosition: bad });
  expect(typeof v.problem).toBe('string');
  const plain = await verify(admin);
  expect({ what, ok: plain.ok, firstBadPosition: plain.firstBadPosition }).toEqual({ what, ok: false, firstBadPosition: bad });
  const h = await until(`/health to report ${what}`, () => health(admin), (x) => x.status === 503, 15_000, 100);
  expect(h.contentType).toMatch(/^application\/problem\+json/);
  expect(h.body.error).toHaveProperty('chain');
  expect({ what, firstBadPosition: h.body.error.chain.firstBadPosition }).toEqual({ what, firstBadPosition: bad });
}

async function expectHealthy(what: string): Promise<void> {
  const full = await until(`a full verify to pass after ${what}`, () => verify(admin, { full: true }), (x) => x.ok, 15_000, 100);
  expect(full).toEqual(expect.objectContaining({ ok: true, checked: head }));
  expect(await verify(admin)).toEqual(expect.objectContaining({ ok: true, checked: head }));
  await until(`/health to be 200 again after ${what}`, () => health(admin), (x) => x.status === 200, 15_000, 100);
}

beforeAll(async () => {
  service = await ServiceProcess.start({ dbPath: dir.file(), logLevel: 'error', env: { CHAIN_FULL_VERIFY_MS: '300' } });
  admin = new Client(service.base, service.adminKey);
  // ~170 events: enough that the oldest lie beyond the 100 newest /health re-hashes on every call.
  const claims = await pool(8, Array.from({ length: 40 }, (_, i) => async () => expectStatus(await admin.post('/api/claims', crimeaClaimBody({ statement: `Tamper target ${i}` })), 201).body.id as string));
  await pool(8, claims.map((id, i) => async () => expectStatus(await admin.post(`/api/claims/${id}/evidence`, evidenceBody({ summary: `Evidence ${i}` })), 202)));
  await settle(admin);
  head = (await verify(admin)).head.position;
  expect(head).toBeGreaterThan(150);
  await expectHealthy('setup');
});

afterAll(async () => {
  admin?.close();
  await service?.stop();
  dir.remove();
  writeSummary(__filename);
  expect(seen.serverErrors).toEqual([]);
});

describe('rows changed under the running service', () => {
  it.each([
    ['an edited event deep in the log', 5],
    ['an edited event among the newest', -3],
  ])('%s: verify names it, /health says 503; put back, all well', async (what, at) => {
    const p = at > 0 ? at : head + at;
    const original = await withDb(async (db) => {
      const row = await rowAt(db, p);
      await db.run(`UPDATE events SET data = data || ' ' WHERE position = ?`, [p]);
      return row;
    });
    try {
      await expectDamage(p, what);
    } finally {
      await withDb((db) => db.run('UPDATE events SET data = ? WHERE position = ?', [original.data, p]));
    }
    await expectHealthy(what);
  });

  it('a deleted event: the position is missing', async () => {
    const p = 50;
    const original = await withDb(async (db) => {
      const row = await rowAt(db, p);
      await db.run('DELETE FROM events WHERE position = ?', [p]);
      return row;
    });
    try {
      await expectDamage(p, 'a deleted event');
    } finally {
      await withDb((db) => putBack(db, original));
    }
    await expectHealthy('a deleted event');
  });

  it('two events swapped: the first of them is named', async () => {
    const p = 20;
    const [a, b] = await withDb(async (db) => {
      const rows = [await rowAt(db, p), await rowAt(db, p + 1)];
      await db.run('UPDATE events SET position = -1 WHERE position = ?', [p]);
      await db.run('UPDATE events SET position = ? WHERE position = ?', [p, p + 1]);
      await db.run('UPDATE events SET position = ? WHERE position = -1', [p + 1]);
      return rows;
    });
    try {
      await expectDamage(p, 'two swapped events');
    } finally {
      await withDb(async (db) => {
        await db.run('DELETE FROM events WHERE position IN (?, ?)', [p, p + 1]);
        await putBack(db, a);
        await putBack(db, b);
      });
    }
    await expectHealthy('two swapped events');
  });

  it('an edited event whose own hash was recomputed: the next link breaks', async () => {
    const p = 30;
    const original = await withDb(async (db) => {
      const row = await rowAt(db, p);
      const data = `${row.data} `;
      const hash = eventHash({
        position: row.position,
        streamId: row.stream_id,
        streamVersion: row.stream_version,
        type: row.type,
        dataJson: data,
        metadataJson: row.metadata,
        recordedAt: row.recorded_at,
        prevHash: row.prev_hash,
      });
      expect(row.prev_hash).not.toBe(GENESIS_HASH);
      await db.run('UPDATE events SET data = ?, hash = ? WHERE position = ?', [data, hash, p]);
      return row;
    });
    try {
      await expectDamage(p + 1, 'a re-hashed edit');
    } finally {
      await withDb((db) => db.run('UPDATE events SET data = ?, hash = ? WHERE position = ?', [original.data, original.hash, p]));
    }
    await expectHealthy('a re-hashed edit');
  });
});

describe('rows changed while the service is stopped', () => {
  it('found at the next start: verify names the position, /health says 503 from the first minutes on', async () => {
    await service.stop();
    const p = 7;
    await withDb((db) => db.run(`UPDATE events SET metadata = metadata || ' ' WHERE position = ?`, [p]));
    // Only the whole-chain check can see this far back; it runs at start (and then hourly by default).
    service = await service.restart({ env: { CHAIN_FULL_VERIFY_MS: '3600000' } });
    admin.close();
    admin = new Client(service.base, service.adminKey);
    // The start-up walk finds it on its own, and the ordinary verify reports what it found.
    await until('verify to report the offline edit the start-up check found', () => verify(admin), (v) => v.firstBadPosition === p, 15_000, 100);
    await expectDamage(p, 'an offline edit');
    // Writes still go in (the ledger is not frozen), and the damage stays reported.
    expectStatus(await admin.post('/api/claims', crimeaClaimBody({ statement: 'Written after the damage' })), 201);
    expect((await health(admin)).status).toBe(503);
    expect((await verify(admin)).firstBadPosition).toBe(p);
    note('5 kinds of damage (edit deep / among the newest, delete, swap, re-hashed edit) found by verify and /health; 1 offline edit found at start');
  });
});
