'use strict';
/**
 * verifyChain over a whole log, as GET /api/ledger/verify runs it (TypeORM reader, keyset
 * pages, every hash recomputed). `node bench/verify.js --db <file>`; prints events/s.
 */
require('reflect-metadata');
const { parseArgs } = require('node:util');
const { dist } = require('./lib/common');

const { values: opt } = parseArgs({ options: { db: { type: 'string' } } });

async function main() {
  const { createDataSource } = dist('database/data-source');
  const { LedgerReader } = dist('ledger/ledger-reader');
  const { verifyChain } = dist('ledger/chain-verifier');
  const ds = createDataSource(opt.db);
  await ds.initialize();
  const started = process.hrtime.bigint();
  const report = await verifyChain(new LedgerReader(ds));
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  await ds.destroy();
  process.stdout.write(
    JSON.stringify({ ok: report.ok, events: report.checked, problem: report.problem ?? null, ms: Math.round(ms), eventsPerSecond: Math.round((report.checked * 1000) / ms), peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024) }) + '\n',
  );
}
main().catch((err) => {
  console.error(err);
  process.exit(1);
});
