import 'reflect-metadata';
import type { DataSource } from 'typeorm';
import { createDataSourceFor, migrate } from '../../../src/database/data-source';
import type { StoredEvent } from '../../../src/domain/events';
import { EventStore } from '../../../src/ledger/event-store';
import type { InlineProjector } from '../../../src/ledger/event-store.types';
import { LedgerReader } from '../../../src/ledger/ledger-reader';
import type { SqlExecutor } from '../../../src/ledger/sql-executor';
import { readModelProjectors } from '../../../src/projections';
import { ProjectionRebuilder } from '../../../src/projections/projection-rebuilder';
import type { ReplayBatch, ReplayingProjector } from '../../../src/projections/replay-batch';
import { TEST_PG_URL, dropSchema, uniqueSchema } from '../../support/postgres';
import { tempDbPath } from '../../support/temp';

/**
 * The rebuild against its definition: the read models it leaves are exactly what `apply` on
 * every event of the log, in order, writes (rows, and on SQLite their rowids), whichever way it
 * got there (bulk pages, a page event by event, or starting over carefully), and the schema
 * (indexes) is as before. The log is written straight into `events` (no hash chain: the rebuild
 * does not read it), so it can hold what the API would refuse.
 */

type Raw = { streamId: string; type: string; data: unknown; recordedAt?: string };

interface Db {
  ds: DataSource;
  store: EventStore;
  dialect: 'sqlite' | 'postgres';
  close(): Promise<void>;
}

const TABLES = ['claims', 'claim_topics', 'pledge_scopes', 'pledge_scope_keys', 'evidence', 'attachments', 'external_reports', 'report_keys', 'merkle_nodes'] as const;
const ORDER: Record<(typeof TABLES)[number], string> = {
  claims: 'id',
  claim_topics: 'claim_id, topic_norm, position',
  pledge_scopes: 'claim_id',
  pledge_scope_keys: 'key, claim_id, from_ms',
  evidence: 'id',
  attachments: 'claim_id, evidence_id',
  external_reports: 'dataset, external_id',
  report_keys: 'key, evidence_id, observed_ms',
  merkle_nodes: 'id',
};

/** A migrated database with its event store; SQLite in a temp file, or PostgreSQL in a fresh schema. */
async function openDb(dialect: Db['dialect']): Promise<Db> {
  const temp = dialect === 'sqlite' ? tempDbPath('claim-ledger-rebuild-') : null;
  const config = temp
    ? { databasePath: temp.dbPath, databaseUrl: null, databaseSchema: null }
    : { databasePath: '', databaseUrl: TEST_PG_URL, databaseSchema: uniqueSchema('rebuild') };
  const ds = createDataSourceFor(config);
  await ds.initialize();
  await migrate(ds);
  const store = await EventStore.openFor(config);
  return {
    ds,
    store,
    dialect,
    async close() {
      await store.close();
      await ds.destroy();
      if (temp) temp.cleanup();
      else await dropSchema(config.databaseSchema!);
    },
  };
}

const openSqlite = () => openDb('sqlite');
const openPostgres = () => openDb('postgres');

/** Appends the events to `events` as they are (positions and versions counted here). */
async function writeLog(db: Db, events: Raw[]): Promise<void> {
  const head: Array<{ n: number | string | null }> = await db.ds.query('SELECT MAX(position) AS n FROM events');
  let position = Number(head[0]?.n ?? 0);
  const versions = new Map<string, number>();
  const p = (i: number) => (db.dialect === 'postgres' ? `$${i}` : '?');
  for (const e of events) {
    position++;
    const version = (versions.get(e.streamId) ?? (await streamVersion(db, e.streamId))) + 1;
    versions.set(e.streamId, version);
    const recordedAt = e.recordedAt ?? new Date(Date.UTC(2025, 0, 1) + position * 1000).toISOString();
    await db.ds.query(
      `INSERT INTO events (position, stream_id, stream_version, type, data, metadata, recorded_at, prev_hash, hash)
       VALUES (${[1, 2, 3, 4, 5, 6, 7, 8, 9].map(p).join(', ')})`,
      [position, e.streamId, version, e.type, JSON.stringify(e.data), JSON.stringify({ actor: { kind: 'system', name: 'test' }, correlationId: `c-${position}` }), recordedAt, 'x'.repeat(64), 'y'.repeat(64)],
    );
  }
}

async function streamVersion(db: Db, streamId: string): Promise<number> {
  const rows: Array<{ v: number | string | null }> = await db.ds.query(
    `SELECT MAX(stream_version) AS v FROM events WHERE stream_id = ${db.dialect === 'postgres' ? '$1' : '?'}`,
    [streamId],
  );
  return Number(rows[0]?.v ?? 0);
}

/** Every read-model row (with its rowid on SQLite, so insert order counts too). */
async function dump(db: Db): Promise<Record<string, unknown[]>> {
  const out: Record<string, unknown[]> = {};
  for (const t of TABLES) {
    out[t] = await db.ds.query(db.dialect === 'sqlite' ? `SELECT rowid AS _rowid, * FROM ${t} ORDER BY rowid` : `SELECT * FROM ${t} ORDER BY ${ORDER[t]}`);
  }
  return out;
}

async function indexes(db: Db): Promise<unknown[]> {
  return db.ds.query(`SELECT name, tbl_name, sql FROM sqlite_master WHERE type = 'index' ORDER BY name`);
}

/** The definition: empty the read models, then `apply` on each event in log order, in one transaction. */
async function replayByApply(db: Db): Promise<void> {
  const events: StoredEvent[] = await new LedgerReader(db.ds).readAfter(0, 1_000_000);
  const projectors = readModelProjectors();
  await db.store.transaction(async (tx) => {
    for (const p of projectors) for (const t of p.tables) await tx.run(`DELETE FROM ${t}`);
    for (const e of events) for (const p of projectors) await p.apply(tx, e);
  });
}

function registerReadModels(db: Db): void {
  for (const p of readModelProjectors()) db.store.registerProjector(p);
}

/** A deterministic pseudo-random log in the service's shape, with the awkward cases spread over several pages. */
function sampleLog(n: number, seed = 1, postgres = false): Raw[] {
  let s = seed;
  const rnd = () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)];
  const uuid = (k: number, tag: string) => `${tag}${String(k).padStart(8, '0')}-0000-4000-8000-${String(seed).padStart(12, '0')}`;
  const odd = ["it's", 'quote "double"', 'émigré ÆØÅ', '中文 text', '😀 emoji', 'back\\slash', 'line\nbreak', '  Padded  '];
  if (!postgres) odd.push('\u0000nul', '\ud800 lone'); // PostgreSQL text holds neither
  const claims: string[] = [];
  const evidence: Array<{ id: string; claimId: string | null }> = [];
  const attached: Array<{ claimId: string; evidenceId: string }> = [];
  const out: Raw[] = [];
  let k = 0;
  while (out.length < n) {
    const r = rnd();
    if (r < 0.12 || claims.length < 3) {
      const id = uuid(++k, 'c');
      claims.push(id);
      const pledge = rnd() < 0.3;
      // madeAt is a string from the API; numbers here check what the bulk path binds or inlines.
      const madeAt = pick<unknown>(['2024-05-01', '2024-06-02T10:00:00Z', 7, -0, 2 ** 31, -(2 ** 31), 1.5, 5_000_000_000]);
      out.push({
        streamId: `claim-${id}`,
        type: 'ClaimRecorded',
        data: {
          kind: pledge ? 'pledge' : 'claim',
          statement: `${pick(odd)} statement ${k}`,
          speaker: { name: pick(['Ana Lopes', 'ANA LOPES ', 'Bo Ek', 'Zoë']), role: null },
          madeAt,
          source: { url: `https://example.org/${k}`, title: pick(odd) },
          topics: [pick(['Health', 'health', 'Economy', 'Climate ']), pick(['Tax', 'tax', 'Health'])],
          scope: pledge
            ? rnd() < 0.5
              ? { region: pick(['north', 'south']), deadline: '2026-01-01' }
              : // A matcher's scope (import v1 files it under place keys and its window).
                { places: [{ name: pick(odd), lat: 50 + rnd(), lon: 30 + rnd(), radiusKm: pick([10, 25, 5000]) }], indicators: ['shelling'], from: '2025-01-01T00:00:00Z', ...(rnd() < 0.5 ? { until: '2025-06-01T00:00:00Z' } : {}), expectation: 'absence' }
            : null,
        },
      });
    } else if (r < 0.42) {
      const id = uuid(++k, 'e');
      const claimId = rnd() < 0.8 ? pick(claims) : null;
      evidence.push({ id, claimId });
      out.push({
        streamId: `evidence-${id}`,
        type: 'EvidenceSubmitted',
        data: {
          claimId,
          stance: pick(['supports', 'refutes']),
          summary: `${pick(odd)} ${k}`,
          source: { url: `https://e.example/${k}` },
          observedAt: '2025-01-01',
          reliability: 'B',
          credibility: 2,
          n: pick([1, -0, 2 ** 40, 0.25]),
          // Reports with places (indexed by place key) and, some, a dataset row (import v1).
          ...(claimId === null ? { places: [{ name: pick(odd), lat: 50 + rnd(), lon: 30 + rnd(), precisionKm: pick([0, 25]) }] } : {}),
          ...(claimId === null && rnd() < 0.6 ? { external: { dataset: pick(['acled', 'other']), id: `row-${seed}-${k}`, revision: k } } : {}),
        },
      });
    } else if (r < 0.7) {
      const ev = pick(evidence.length ? evidence : [{ id: uuid(999_999, 'e'), claimId: null }]);
      const claimId = ev.claimId ?? pick(claims);
      attached.push({ claimId, evidenceId: ev.id });
      out.push({ streamId: `claim-${claimId}`, type: 'EvidenceAttached', data: { evidenceId: ev.id, stance: pick(['supports', 'refutes']), attachedBy: pick(['job', 'checker-1']) } });
    } else if (r < 0.9) {
      out.push({ streamId: `claim-${pick(claims)}`, type: 'VerificationStatusChanged', data: { from: 'unverified', to: pick(['supported', 'refuted', "it's complicated", 'unverified']) } });
    } else if (r < 0.95 && evidence.length) {
      const ev = pick(evidence);
      if (ev.claimId === null && rnd() < 0.5) {
        // A revision (import v1): new facts, a higher revision; the same row.
        out.push({
          streamId: `evidence-${ev.id}`,
          type: 'EvidenceRevised',
          data: { summary: `${pick(odd)} revised ${k}`, source: { url: `https://e.example/r${k}` }, observedAt: '2025-02-01', observedUntil: '2025-02-02', reliability: 'C', credibility: 3, places: [{ name: pick(odd), lat: 49 + rnd(), lon: 31 + rnd() }], external: { dataset: 'acled', id: `row-${ev.id}`, revision: ++k } },
        });
      } else out.push({ streamId: `evidence-${ev.id}`, type: 'EvidenceRetracted', data: { reason: pick(['wrong', "didn't hold", null]) } });
    } else {
      // Detach a real attachment, or one whose attach comes later (a no-op then) or never.
      const a = rnd() < 0.7 && attached.length ? pick(attached) : { claimId: pick(claims), evidenceId: evidence.length ? pick(evidence).id : 'none' };
      out.push({ streamId: `claim-${a.claimId}`, type: 'EvidenceDetached', data: { evidenceId: a.evidenceId } });
    }
  }
  return out;
}

// Both always run: CI has PostgreSQL as it has Redis (see .ci/run).
function run(name: string, open: () => Promise<Db>): void {
  describe(name, () => {
    let db: Db;
    beforeEach(async () => {
      db = await open();
    });
    afterEach(async () => {
      await db.close();
    });

    it('leaves the read models exactly as apply on each event leaves them (several pages, every kind of event)', async () => {
      registerReadModels(db);
      await writeLog(db, sampleLog(2600, 1, db.dialect === 'postgres'));
      await replayByApply(db);
      const expected = await dump(db);
      const schema = db.dialect === 'sqlite' ? await indexes(db) : null;
      expect(expected.claims.length).toBeGreaterThan(200);
      expect(expected.attachments.length).toBeGreaterThan(300);

      const progress: number[] = [];
      const report = await new ProjectionRebuilder(db.store).rebuild((n) => progress.push(n));
      expect(report.events).toBe(2600);
      expect(await dump(db)).toEqual(expected);
      if (schema) expect(await indexes(db)).toEqual(schema);

      // Again over full tables (it empties them first), after more events.
      await writeLog(db, sampleLog(700, 2, db.dialect === 'postgres'));
      await replayByApply(db);
      const again = await dump(db);
      await new ProjectionRebuilder(db.store).rebuild();
      expect(await dump(db)).toEqual(again);
      if (schema) expect(await indexes(db)).toEqual(schema);
    });

    it('a page the bulk path cannot take goes event by event, and the result is still exact', async () => {
      registerReadModels(db);
      const log = sampleLog(2300, 3, db.dialect === 'postgres');
      // A stance that is not text: the batch refuses it, apply writes it as it is (REAL 1.5 into a TEXT column).
      const i = log.findIndex((e, k) => k > 1200 && e.type === 'EvidenceAttached');
      log[i] = { ...log[i], data: { ...(log[i].data as object), stance: 1.5 } };
      await writeLog(db, log);
      await replayByApply(db);
      const expected = await dump(db);
      await new ProjectionRebuilder(db.store).rebuild();
      expect(await dump(db)).toEqual(expected);
    });

    it('fails as apply fails (a claim recorded twice), leaving the read models and indexes as they were', async () => {
      registerReadModels(db);
      const log = sampleLog(1500, 4, db.dialect === 'postgres');
      await writeLog(db, log);
      await replayByApply(db);
      const before = await dump(db);
      const schema = db.dialect === 'sqlite' ? await indexes(db) : null;
      const first = log.find((e) => e.type === 'ClaimRecorded')!;
      await writeLog(db, [...sampleLog(400, 5, db.dialect === 'postgres'), first]); // the duplicate lands in a later page

      await expect(new ProjectionRebuilder(db.store).rebuild()).rejects.toThrow(/UNIQUE|duplicate key/i);
      expect(await dump(db)).toEqual(before);
      if (schema) expect(await indexes(db)).toEqual(schema);
    });
  });
}

run('ProjectionRebuilder on SQLite', openSqlite);
run('ProjectionRebuilder on PostgreSQL', openPostgres);

describe('ProjectionRebuilder on SQLite: a bulk write that fails part way', () => {
  let db: Db;
  beforeEach(async () => {
    db = await openSqlite();
  });
  afterEach(async () => {
    await db.close();
  });

  it('starts over on the careful path in the same transaction, and ends exact', async () => {
    const [real, ...others] = readModelProjectors();
    let pages = 0;
    // The claims list's projector, except that its second bulk page writes, then fails as a constraint would.
    const flaky: ReplayingProjector = {
      name: real.name,
      tables: real.tables,
      apply: (tx, e) => real.apply(tx, e),
      applyBatch: (tx, events) => real.applyBatch(tx, events),
      replayBatch(): ReplayBatch {
        const inner = real.replayBatch();
        const page = ++pages;
        return {
          add: (e) => inner.add(e),
          async write(tx: SqlExecutor) {
            await inner.write(tx);
            if (page === 2) throw Object.assign(new Error('SQLITE_CONSTRAINT: injected'), { code: 'SQLITE_CONSTRAINT' });
          },
        };
      },
    };
    db.store.registerProjector(flaky as InlineProjector);
    for (const p of others) db.store.registerProjector(p);
    await writeLog(db, sampleLog(3100, 6));
    await replayByApply(db);
    const expected = await dump(db);
    const schema = await indexes(db);

    const report = await new ProjectionRebuilder(db.store).rebuild();
    expect(pages).toBeGreaterThanOrEqual(2);
    expect(report.events).toBe(3100);
    expect(await dump(db)).toEqual(expected);
    expect(await indexes(db)).toEqual(schema);
  });
});

describe('ProjectionRebuilder on SQLite: the fast pass', () => {
  let db: Db;
  beforeEach(async () => {
    db = await openSqlite();
  });
  afterEach(async () => {
    await db.close();
  });

  // The exactness tests above pass on the careful path too; this one pins that a log every batch
  // can take is replayed by the batches alone (no page refused, no write failed), so a bulk path
  // that quietly stopped working (e.g. events read in another shape) shows up here.
  it('takes every page of a log its batches can take, and ends exact', async () => {
    let refused = 0;
    let failedWrites = 0;
    for (const real of readModelProjectors()) {
      const replayBatch = real.replayBatch.bind(real);
      real.replayBatch = (): ReplayBatch => {
        const inner = replayBatch();
        return {
          add(e) {
            try {
              inner.add(e);
            } catch (err) {
              refused++;
              throw err;
            }
          },
          write: (tx: SqlExecutor) => inner.write(tx).catch((err: unknown) => (failedWrites++, Promise.reject(err))),
        };
      };
      db.store.registerProjector(real);
    }
    await writeLog(db, sampleLog(2600, 8));
    await replayByApply(db);
    const expected = await dump(db);

    const report = await new ProjectionRebuilder(db.store).rebuild();
    expect(report.events).toBe(2600);
    expect({ refused, failedWrites }).toEqual({ refused: 0, failedWrites: 0 });
    expect(await dump(db)).toEqual(expected);
  });
});

describe('read-model projectors on SQLite: applyBatch alone', () => {
  let db: Db;
  beforeEach(async () => {
    db = await openSqlite();
  });
  afterEach(async () => {
    await db.close();
  });

  // Group commits call each projector's applyBatch on its own (not only all of them together, as a rebuild page does).
  it('each projector, page by page through its own applyBatch, writes what apply on each event writes', async () => {
    await writeLog(db, sampleLog(2600, 7));
    await replayByApply(db);
    const expected = await dump(db);
    const events: StoredEvent[] = await new LedgerReader(db.ds).readAfter(0, 1_000_000);
    const projectors = readModelProjectors();
    await db.store.transaction(async (tx) => {
      for (const p of projectors) for (const t of p.tables) await tx.run(`DELETE FROM ${t}`);
      for (const p of projectors) {
        for (let i = 0; i < events.length; i += 300) await p.applyBatch(tx, events.slice(i, i + 300));
      }
    });
    expect(await dump(db)).toEqual(expected);
  });
});
