'use strict';
/**
 * Append throughput, in its own process. Modes:
 *   store  EventStore.append from N concurrent appenders, each a new stream with one
 *          EvidenceSubmitted event (what POST /api/reports and /api/claims/:id/evidence write);
 *   raw    the driver's ceiling: the same rows (already hashed and chained) written with a raw
 *          sqlite3 multi-row INSERT, 100 rows per transaction, same pragmas (WAL, synchronous NORMAL).
 * Prints one JSON line: { events, ms, eventsPerSecond, ... }.
 */
require('reflect-metadata');
const { randomUUID } = require('node:crypto');
const path = require('node:path');
const { parseArgs } = require('node:util');
const { dist, tempDir, rmrf } = require('./lib/common');
const data = require('./lib/data');

const { values: opt } = parseArgs({
  options: {
    mode: { type: 'string', default: 'store' },
    db: { type: 'string' },
    prefill: { type: 'string', default: '0' },
    concurrency: { type: 'string', default: '50' },
    seconds: { type: 'string' },
    count: { type: 'string' },
    warmup: { type: 'string', default: '2000' },
    projector: { type: 'boolean', default: false },
    'no-tree': { type: 'boolean', default: false },
    batch: { type: 'string', default: '100' },
    typeorm: { type: 'boolean', default: false },
  },
});

/**
 * Migrates a fresh file in a separate process. `--typeorm` also opens the service's DataSource
 * (TypeORM is its read side) next to the store, as in the service's process.
 */
async function migratedDb(dbPath) {
  const { execFileSync } = require('node:child_process');
  execFileSync(process.execPath, [path.join(__dirname, 'lib', 'migrate.js'), dbPath], { stdio: 'inherit' });
  if (opt.typeorm) {
    const { createDataSource } = dist('database/data-source');
    const ds = createDataSource(dbPath);
    await ds.initialize();
    keepAlive.push(ds);
  }
}
const keepAlive = [];

/**
 * Payloads are made before the clock starts, for the store as for the raw insert, so neither
 * figure pays for the bench's own data generation: a pool of distinct EvidenceSubmitted bodies
 * (each its own object, as a request's would be) and fresh stream ids.
 */
const POOL = 4096;
function payloadPool(seed) {
  const r = data.rng(seed);
  return Array.from({ length: POOL }, () => ({ data: data.evidenceData(r, randomUUID()), metadata: data.requestMetadata() }));
}
function streamIds(n) {
  const prefix = randomUUID().slice(0, 8);
  return Array.from({ length: n }, (_, i) => `evidence-${prefix}-${randomUUID().slice(9)}-${i}`);
}

async function runStore(dbPath) {
  const { EventStore } = dist('ledger/event-store');
  const store = await EventStore.open(dbPath);
  if (opt.projector) {
    const { readModelProjectors } = dist('projections');
    // --no-tree: every read model but the Merkle tree (the tree's cost, for the transparency target).
    for (const projector of readModelProjectors()) if (!(opt['no-tree'] && projector.name === 'merkle-tree')) store.registerProjector(projector);
  }
  const pool = payloadPool(42);
  const prefill = Number(opt.prefill);
  const warm = Number(opt.warmup);
  const planned = opt.count ? Number(opt.count) : 40_000 * Number(opt.seconds ?? 5);
  const ids = streamIds(prefill + warm + planned + 1000);
  let n = 0;
  const appendOne = () => {
    const p = pool[n % POOL];
    const streamId = ids[n++];
    return store.append({ streamId, expectedVersion: 0, events: [{ type: 'EvidenceSubmitted', data: p.data }], metadata: p.metadata });
  };

  // Prefill (the log "already holds N events"), then warm the JIT: neither is timed.
  for (let done = 0; done < prefill; ) {
    const n = Math.min(500, prefill - done);
    await Promise.all(Array.from({ length: n }, appendOne));
    done += n;
  }
  for (let done = 0; done < warm; done += 50) await Promise.all(Array.from({ length: 50 }, appendOne));

  const concurrency = Number(opt.concurrency);
  const limitCount = opt.count ? Number(opt.count) : Infinity;
  const deadline = opt.seconds ? Date.now() + Number(opt.seconds) * 1000 : Infinity;
  let issued = 0;
  let done = 0;
  const latencies = [];
  const cpu0 = process.cpuUsage();
  const started = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (issued < limitCount && Date.now() < deadline && n < ids.length) {
        issued++;
        const t0 = process.hrtime.bigint();
        await appendOne();
        latencies.push(Number(process.hrtime.bigint() - t0) / 1e6);
        done++;
      }
    }),
  );
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  const cpu = process.cpuUsage(cpu0);
  await store.close();
  latencies.sort((a, b) => a - b);
  return {
    mode: 'store',
    projector: opt.projector,
    tree: opt.projector && !opt['no-tree'],
    concurrency,
    prefill,
    events: done,
    ms: Math.round(ms),
    eventsPerSecond: Math.round((done * 1000) / ms),
    latencyP50: latencies[Math.floor(latencies.length / 2)],
    latencyP99: latencies[Math.floor(latencies.length * 0.99)],
    // CPU time of the whole process (main thread and SQLite's worker threads) per event: steadier than events/s on a shared machine.
    cpuUsPerEvent: +((cpu.user + cpu.system) / Math.max(done, 1)).toFixed(1),
  };
}

async function runRaw(dbPath) {
  const sqlite3 = require('sqlite3');
  const { canonicalize } = dist('ledger/canonical-json');
  const { eventHash, GENESIS_HASH } = dist('ledger/hash-chain');
  const db = await new Promise((resolve, reject) => {
    const h = new sqlite3.Database(dbPath, (err) => (err ? reject(err) : resolve(h)));
  });
  const exec = (sql) => new Promise((res, rej) => db.exec(sql, (e) => (e ? rej(e) : res())));
  const run = (sql, params) => new Promise((res, rej) => db.run(sql, params, (e) => (e ? rej(e) : res())));
  await exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;');

  const batch = Number(opt.batch);
  const seconds = Number(opt.seconds ?? 5);
  const pool = payloadPool(42);
  const ids = streamIds(Math.ceil(Number(opt.warmup) / batch) * batch + 40_000 * seconds + batch);
  // The same rows the store would write, hashed and chained beforehand: this is the driver's ceiling.
  let position = 0;
  let prevHash = GENESIS_HASH;
  const recordedAt = new Date().toISOString();
  const makeBatch = () => {
    const params = [];
    for (let i = 0; i < batch; i++) {
      position++;
      const row = {
        position,
        streamId: ids[position - 1],
        streamVersion: 1,
        type: 'EvidenceSubmitted',
        dataJson: canonicalize(pool[(position - 1) % POOL].data),
        metadataJson: canonicalize(pool[(position - 1) % POOL].metadata),
        recordedAt,
        prevHash,
      };
      const hash = eventHash(row);
      params.push(row.position, row.streamId, row.streamVersion, row.type, row.dataJson, row.metadataJson, row.recordedAt, row.prevHash, hash);
      prevHash = hash;
    }
    return params;
  };
  const sql = `INSERT INTO events (position, stream_id, stream_version, type, data, metadata, recorded_at, prev_hash, hash) VALUES ${new Array(batch).fill('(?,?,?,?,?,?,?,?,?)').join(',')}`;
  // Enough prepared batches for the whole timed run (estimated generously), built before timing.
  const warmBatches = Math.ceil(Number(opt.warmup) / batch);
  const planned = warmBatches + Math.ceil((40_000 * seconds) / batch);
  const batches = [];
  for (let i = 0; i < planned; i++) batches.push(makeBatch());
  let next = 0;
  const writeBatch = async () => {
    await exec('BEGIN IMMEDIATE');
    await run(sql, batches[next++]);
    await exec('COMMIT');
  };
  for (let i = 0; i < warmBatches; i++) await writeBatch();
  const deadline = Date.now() + seconds * 1000;
  let done = 0;
  const started = process.hrtime.bigint();
  while (Date.now() < deadline && next < batches.length) {
    await writeBatch();
    done += batch;
  }
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  await new Promise((res) => db.close(() => res()));
  return { mode: 'raw', batch, events: done, ms: Math.round(ms), eventsPerSecond: Math.round((done * 1000) / ms), exhausted: next >= batches.length };
}

async function main() {
  let dir = null;
  let dbPath = opt.db;
  if (!dbPath) {
    dir = tempDir('append');
    dbPath = path.join(dir, 'ledger.sqlite');
    await migratedDb(dbPath);
  }
  try {
    const result = opt.mode === 'raw' ? await runRaw(dbPath) : await runStore(dbPath);
    process.stdout.write(JSON.stringify(result) + '\n');
  } finally {
    for (const ds of keepAlive) await ds.destroy();
    if (dir) rmrf(dir);
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
