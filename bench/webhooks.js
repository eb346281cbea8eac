'use strict';
/**
 * The webhook section of `npm run bench` (issue 14), run by bench/run.js (BENCH_ONLY=webhooks):
 * a status change reaches a local webhook receiver. BullMQ mode: the API (no workers) and two
 * worker processes, which run the webhook attempts; one endpoint subscribed to
 * claim.status_changed on a plain node:http receiver in this process. Evidence is sent at
 * 50/s, each piece moving one fresh claim to `supported`; for every status change, the time from
 * its commit (the event's recordedAt, stamped in its transaction) to the receiver's arrival, and
 * from the evidence POST to the arrival.
 */
const http = require('node:http');
const path = require('node:path');
const { randomUUID } = require('node:crypto');
const { DIST, QUICK, tempDir, rmrf, sleep, summarize, startProcess, runNode } = require('./lib/common');
const { deleteKeys, ping } = require('./lib/redis');
const data = require('./lib/data');

const RATE = 50;
const SECONDS = QUICK ? 4 : 10;
const WARM = 30;

async function sectionWebhooks({ startService, post, target, results, log, cleanups, AUTH, REDIS_URL }) {
  log(`\n[webhooks] status change → local webhook receiver, ${RATE} changes/s for ${SECONDS} s, BullMQ, 2 worker processes`);
  if (!(await ping(REDIS_URL))) {
    results.skipped.push(`webhooks: no Redis at ${REDIS_URL}`);
    target('webhook: status change → receiver p99 ≤ 100 ms', null, 'SKIP', '≤ 100 ms', 'no Redis');
    return;
  }
  // Same-run reference: BullMQ alone, add → completed, at the same rate (how noisy the machine is now).
  const raw = await runNode(path.join(__dirname, 'bullmq-raw.js'), ['--redis', REDIS_URL, '--jobs', String(RATE * SECONDS), '--rate', String(RATE)], { label: 'bullmq' });
  log(`  reference: raw BullMQ add→completed at ${RATE}/s: p50 ${raw.p50.toFixed(2)} ms, p99 ${raw.p99.toFixed(2)} ms`);

  // The receiver: arrival time per claim of the first claim.status_changed.
  const arrived = new Map();
  const receiver = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const at = Date.now();
      res.statusCode = 200;
      res.end();
      try {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
        if (body.type === 'claim.status_changed' && !arrived.has(body.data.claimId)) arrived.set(body.data.claimId, { at, committed: Date.parse(body.timestamp) });
      } catch {
        /* not ours */
      }
    });
  });
  await new Promise((r) => receiver.listen(0, '127.0.0.1', r));
  cleanups.push(() => new Promise((r) => receiver.close(r)));
  const hookUrl = `http://127.0.0.1:${receiver.address().port}/hook`;

  const dir = tempDir('webhooks');
  cleanups.push(() => rmrf(dir));
  const prefix = `clbench-hooks-${randomUUID().slice(0, 8)}`;
  cleanups.push(() => deleteKeys(REDIS_URL, prefix));
  const env = { DATABASE_PATH: path.join(dir, 'ledger.sqlite'), REDIS_URL, QUEUE_PREFIX: prefix, WEBHOOK_ALLOW_PRIVATE: 'true' };
  const svc = await startService('api-webhooks', { ...env, RUN_WORKERS: 'false' });
  const workers = [];
  for (let i = 1; i <= 2; i++) {
    const w = startProcess(path.join(DIST, 'worker.js'), [], { ...env, ADMIN_API_KEY: AUTH.authorization.slice('Bearer '.length), LOG_LEVEL: 'warn' }, `worker-${i}`);
    cleanups.push(() => w.stop());
    workers.push(w);
  }
  await post(svc.base, '/api/webhooks', { url: hookUrl, events: ['claim.status_changed'], description: 'bench receiver' });

  const total = RATE * SECONDS;
  const r = data.rng(41);
  const claims = [];
  for (let i = 0; i < total + WARM; i++) claims.push((await post(svc.base, '/api/claims', data.claimBody(r, false))).id);
  const sentWall = new Map();
  let sendErrors = 0;
  const sendAll = async (ids, rate) => {
    const gap = 1000 / rate;
    const start = performance.now();
    const sends = [];
    for (let i = 0; i < ids.length; i++) {
      const wait = start + i * gap - performance.now();
      if (wait > 0) await sleep(wait);
      sentWall.set(ids[i], Date.now());
      const body = { ...data.evidenceBody(r), stance: 'supports', reliability: 'A', credibility: 1 };
      sends.push(post(svc.base, `/api/claims/${ids[i]}/evidence`, body).catch(() => sendErrors++));
    }
    await Promise.all(sends);
    const deadline = Date.now() + 30_000;
    while (ids.some((id) => !arrived.has(id)) && Date.now() < deadline) await sleep(20);
  };
  await sendAll(claims.slice(total), 10); // warm-up, not measured
  const measured = claims.slice(0, total);
  await sendAll(measured, RATE);
  const fromCommit = [];
  const fromPost = [];
  for (const id of measured) {
    const a = arrived.get(id);
    if (!a) continue;
    fromCommit.push(a.at - a.committed);
    fromPost.push(a.at - sentWall.get(id));
  }
  const missing = total - fromCommit.length;
  const commit = summarize(fromCommit);
  const post2 = summarize(fromPost);
  log(`  status change (commit) → receiver: p50 ${commit.p50} ms, p99 ${commit.p99} ms, max ${commit.max} ms (${fromCommit.length}/${total} arrived${sendErrors ? `, ${sendErrors} POSTs failed` : ''})`);
  log(`  evidence POST → receiver: p50 ${post2.p50} ms, p99 ${post2.p99} ms`);
  results.figures.webhooks = { rate: RATE, seconds: SECONDS, sent: total, arrived: fromCommit.length, missing, sendErrors, commitToReceiver: commit, postToReceiver: post2, rawBullmq: raw };
  target(
    'webhook: status change → receiver p99 ≤ 100 ms',
    commit.p99 <= 100 && missing === 0 && sendErrors === 0,
    `p99 ${commit.p99} ms (p50 ${commit.p50})`,
    '≤ 100 ms',
    missing || sendErrors ? `${missing} never arrived, ${sendErrors} failed POSTs` : `${RATE}/s, BullMQ, 2 workers`,
  );
  for (const w of workers) await w.stop();
  await svc.proc.stop();
}

module.exports = { sectionWebhooks };
