'use strict';
/**
 * The peer figure: the append workload of bench/append.js (N concurrent appenders, each a new
 * stream with one EvidenceSubmitted event of the same payloads) through Emmett's SQLite event
 * store (@event-driven-io/emmett-sqlite, installed only in bench/peer/).
 *
 * Emmett's store opens and closes a connection per call on a file database unless it is given
 * one long-lived ("singleton") connection; that is its fast configuration, so it is used here,
 * with the same pragmas as our writer (WAL, synchronous NORMAL). Prints one JSON line.
 */
const { randomUUID } = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const { parseArgs } = require('node:util');
const { tempDir, rmrf } = require('./lib/common');
const data = require('./lib/data');

const PEER = path.join(__dirname, 'peer', 'node_modules', '@event-driven-io', 'emmett-sqlite');
const { values: opt } = parseArgs({
  options: { seconds: { type: 'string', default: '3' }, concurrency: { type: 'string', default: '50' }, warmup: { type: 'string', default: '1000' } },
});

async function main() {
  if (!fs.existsSync(PEER)) {
    process.stdout.write(JSON.stringify({ skipped: 'bench/peer is not installed' }) + '\n');
    return;
  }
  const emmett = require(PEER);
  const version = JSON.parse(fs.readFileSync(path.join(PEER, 'package.json'), 'utf8')).version;
  const dir = tempDir('peer');
  const fileName = path.join(dir, 'emmett.sqlite');
  try {
    const connection = emmett.sqliteConnection({ fileName });
    await connection.command('PRAGMA journal_mode = WAL');
    await connection.command('PRAGMA synchronous = NORMAL');
    const store = emmett.getSQLiteEventStore({ fileName, connectionOptions: { singleton: true, connection } });

    const r = data.rng(42);
    const pool = Array.from({ length: 4096 }, () => ({ data: data.evidenceData(r, randomUUID()), metadata: data.requestMetadata() }));
    const concurrency = Number(opt.concurrency);
    let n = 0;
    let failed = 0;
    const errors = new Map();
    const appendOne = async () => {
      const p = pool[n++ % pool.length];
      try {
        await store.appendToStream(`evidence-${randomUUID()}`, [{ type: 'EvidenceSubmitted', data: p.data, metadata: p.metadata }], {
          expectedStreamVersion: 'STREAM_DOES_NOT_EXIST',
        });
        return true;
      } catch (err) {
        failed++;
        const k = String(err?.message ?? err).slice(0, 100);
        errors.set(k, (errors.get(k) ?? 0) + 1);
        return false;
      }
    };
    // Emmett logs every failed transaction with console.log; keep the bench output readable.
    const log = console.log;
    console.log = () => {};
    try {
      for (let i = 0; i < Number(opt.warmup); i += concurrency) await Promise.all(Array.from({ length: concurrency }, appendOne));
      const deadline = Date.now() + Number(opt.seconds) * 1000;
      let ok = 0;
      const started = process.hrtime.bigint();
      await Promise.all(
        Array.from({ length: concurrency }, async () => {
          while (Date.now() < deadline) if (await appendOne()) ok++;
        }),
      );
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      console.log = log;
      // What was acknowledged must be there.
      const stored = await connection.querySingle('SELECT COUNT(*) AS n FROM emt_messages');
      connection.close();
      process.stdout.write(
        JSON.stringify({ version, concurrency, events: ok, failed, errors: [...errors], ms: Math.round(ms), eventsPerSecond: Math.round((ok * 1000) / ms), storedTotal: stored?.n ?? null }) + '\n',
      );
    } finally {
      console.log = log;
    }
  } finally {
    rmrf(dir);
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
