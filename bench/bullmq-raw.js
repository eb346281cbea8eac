'use strict';
/**
 * The end-to-end reference: a bare BullMQ Queue and a no-op Worker in one process, one job at
 * a time at the end-to-end test's pace; add() → 'completed' latency. Same Redis database as the
 * service run, own key prefix, deleted afterwards. Prints one JSON line.
 *   node bench/bullmq-raw.js --redis redis://127.0.0.1:6379/14 --jobs 500 --rate 200
 */
const { randomUUID } = require('node:crypto');
const { parseArgs } = require('node:util');
const { Queue, Worker } = require('bullmq');
const IORedis = require('ioredis');
const { summarize, sleep } = require('./lib/common');
const { deleteKeys } = require('./lib/redis');

const { values: opt } = parseArgs({
  options: { redis: { type: 'string' }, jobs: { type: 'string', default: '500' }, rate: { type: 'string', default: '200' } },
});

async function main() {
  const prefix = `clbench-raw-${randomUUID().slice(0, 8)}`;
  const connection = new IORedis(opt.redis, { maxRetriesPerRequest: null });
  const queue = new Queue('bench-noop', { connection, prefix });
  const waiting = new Map();
  const workerConnection = connection.duplicate();
  const worker = new Worker('bench-noop', async () => null, { connection: workerConnection, prefix, concurrency: 8 });
  worker.on('completed', (job) => {
    const done = waiting.get(job.id);
    if (done) done(performance.now());
  });
  await worker.waitUntilReady();
  const latencies = [];
  const total = Number(opt.jobs);
  const gapMs = 1000 / Number(opt.rate);
  try {
    for (let i = 0; i < total + 50; i++) {
      const id = `j${i}`;
      const finished = new Promise((resolve) => waiting.set(id, resolve));
      const t0 = performance.now();
      await queue.add('noop', { i }, { jobId: id, removeOnComplete: true });
      const t1 = await finished;
      waiting.delete(id);
      if (i >= 50) latencies.push(t1 - t0); // the first 50 warm up
      const spent = performance.now() - t0;
      if (spent < gapMs) await sleep(gapMs - spent);
    }
  } finally {
    await worker.close();
    await queue.obliterate({ force: true }).catch(() => undefined);
    await queue.close();
    await deleteKeys(opt.redis, prefix);
    workerConnection.disconnect();
    connection.disconnect();
  }
  process.stdout.write(JSON.stringify({ prefix, ...summarize(latencies) }) + '\n');
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
