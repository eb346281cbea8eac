'use strict';
/**
 * The rebuild's reference: a raw keyset scan of the whole log with the sqlite3 driver (pages of
 * PAGE rows, as the rebuild reads them), JSON.parse of each row's data and metadata, nothing
 * written. `node bench/scan.js --db <file> [--page 2000]`; prints events/s and peak RSS (MB).
 */
const { parseArgs } = require('node:util');
const sqlite3 = require('sqlite3');

const { values: opt } = parseArgs({ options: { db: { type: 'string' }, page: { type: 'string', default: '2000' } } });
const PAGE = Number(opt.page);

async function main() {
  const db = await new Promise((resolve, reject) => {
    const h = new sqlite3.Database(opt.db, sqlite3.OPEN_READONLY, (err) => (err ? reject(err) : resolve(h)));
  });
  const all = (sql, params) => new Promise((res, rej) => db.all(sql, params, (e, rows) => (e ? rej(e) : res(rows))));
  let after = 0;
  let events = 0;
  let bytes = 0;
  const started = process.hrtime.bigint();
  for (;;) {
    const rows = await all(
      'SELECT position, stream_id, stream_version, type, data, metadata, recorded_at, prev_hash, hash FROM events WHERE position > ? ORDER BY position LIMIT ?',
      [after, PAGE],
    );
    if (rows.length === 0) break;
    for (const row of rows) {
      const d = JSON.parse(row.data);
      const m = JSON.parse(row.metadata);
      if (d && m) bytes += row.data.length;
    }
    events += rows.length;
    after = rows[rows.length - 1].position;
  }
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  await new Promise((res) => db.close(() => res()));
  process.stdout.write(
    JSON.stringify({ events, ms: Math.round(ms), eventsPerSecond: Math.round((events * 1000) / ms), dataBytes: bytes, peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024) }) + '\n',
  );
}
main().catch((err) => {
  console.error(err);
  process.exit(1);
});
