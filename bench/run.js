'use strict';
/**
 * `npm run bench`: claim-ledger measured against its ceilings and a peer, every figure in the
 * same run as its reference. Starts the real service (dist/main.js, dist/worker.js) as child
 * processes on temporary databases, prints a table with one PASS/FAIL line per target and
 * writes bench/results/latest.json.
 *
 *   BENCH_QUICK=1   smaller sizes and shorter runs (development); the table says so
 *   BENCH_DIST=dir  the compiled service to measure (default dist/, built by `npm run bench`)
 *   BENCH_ONLY=a,b  run only some sections: append, ingest, e2e, log (rebuild/verify/query/scale), import (bench/imports.js),
 *                   webhooks (bench/webhooks.js); or only some parts of the log section: verify, rebuild, query, proofs
 *                   (inclusion/consistency proofs and verify-log), scale (each generates the log first)
 *   --only a,b      the same on the command line (`node bench/run.js --only append,rebuild`); with BENCH_ONLY, both count
 *   BENCH_NO_PEER_INSTALL=1  never install bench/peer (the peer figure is then SKIPped if absent)
 *   BENCH_VERBOSE=1 pass the service's own output through
 *   BENCH_PROFILE=1 CPU-profile the service and the echo app during the ingest runs and print
 *                   where each request's CPU goes, by area (bench/lib/profile.js)
 *   REDIS_URL       for the end-to-end section (default redis://127.0.0.1:6379/14)
 *
 * Not part of the test suite, and CI does not run it.
 */
const { execFileSync, spawnSync } = require('node:child_process');
const { randomUUID } = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const autocannon = require('autocannon');
const { ROOT, DIST, QUICK, tempDir, rmrf, summarize, freePort, sleep, runNode, startProcess, waitForHttp } = require('./lib/common');
const { deleteKeys, ping } = require('./lib/redis');
const data = require('./lib/data');
const { summarizeProfile } = require('./lib/profile');

const B = (f) => path.join(__dirname, f);
const LOG_PARTS = ['verify', 'rebuild', 'query', 'proofs', 'scale'];
const ONLY = onlyList();
/** A section runs when nothing is selected, or it is; the log section also when one of its parts is. */
const wants = (section) => !ONLY || ONLY.has(section) || (section === 'log' && LOG_PARTS.some((p) => ONLY.has(p)));
/** A part of the log section runs when the whole section was asked for (or everything), or that part. */
const wantsLogPart = (part) => !ONLY || ONLY.has('log') || ONLY.has(part);

/** BENCH_ONLY and `--only a,b` / `--only=a,b` (union); null: everything. Unknown names are an error, not a silent empty run. */
function onlyList() {
  const names = [];
  if (process.env.BENCH_ONLY) names.push(...process.env.BENCH_ONLY.split(','));
  const argv = process.argv.slice(2);
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--only') names.push(...String(argv[++i] ?? '').split(','));
    else if (argv[i].startsWith('--only=')) names.push(...argv[i].slice('--only='.length).split(','));
    else throw new Error(`unknown argument ${argv[i]} (bench/run.js takes --only <sections>)`);
  }
  const picked = names.map((s) => s.trim()).filter(Boolean);
  if (picked.length === 0) return null;
  const known = new Set(['append', 'ingest', 'e2e', 'log', 'import', 'webhooks', ...LOG_PARTS]);
  const unknown = picked.filter((n) => !known.has(n));
  if (unknown.length) throw new Error(`--only/BENCH_ONLY: unknown section(s) ${unknown.join(', ')}; known: ${[...known].join(', ')}`);
  return new Set(picked);
}
const REDIS_URL = process.env.BENCH_REDIS_URL || 'redis://127.0.0.1:6379/14';
const ADMIN_KEY = `bench-admin-${randomUUID()}`;
const AUTH = { authorization: `Bearer ${ADMIN_KEY}` };

/** Sizes: the full run as the issue asks; BENCH_QUICK=1 a smaller one for development. */
const SIZE = QUICK
  ? { httpSeconds: 3, appendRounds: 2, appendSeconds: 1.5, e2eSeconds: 4, e2eRate: 200, logEvents: 100_000, scaleCount: 5_000, scaleRounds: 1, querySeconds: 3 }
  : { httpSeconds: 10, appendRounds: 3, appendSeconds: 3, e2eSeconds: 10, e2eRate: 200, logEvents: 1_000_000, scaleCount: 20_000, scaleRounds: 2, querySeconds: 10 };

if (process.env.BENCH_E2E_RATE) SIZE.e2eRate = Number(process.env.BENCH_E2E_RATE); // development only

const results = { startedAt: new Date().toISOString(), quick: QUICK, machine: machineInfo(), figures: {}, targets: [], skipped: [], notes: [] };
const cleanups = [];
const log = (msg) => process.stdout.write(`${msg}\n`);
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? (s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2) : NaN;
};

function machineInfo() {
  let commit = null;
  try {
    commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim();
  } catch {
    /* not a checkout */
  }
  return { node: process.version, cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model, memGb: Math.round(os.totalmem() / 2 ** 30), loadavgAtStart: os.loadavg().map((x) => +x.toFixed(2)), commit };
}

function target(name, ok, value, goal, detail = '') {
  results.targets.push({ name, pass: ok === null ? null : !!ok, value, goal, detail });
}

// ---------------------------------------------------------------------------------------------
// Services

const PROFILE = !!process.env.BENCH_PROFILE;
const PROFILER = ['-r', path.join(__dirname, 'lib', 'profiler-preload.js')];

async function startService(label, env, nodeArgs = []) {
  const port = await freePort();
  const proc = startProcess(path.join(DIST, 'main.js'), [], {
    PORT: String(port),
    HOST: '127.0.0.1',
    ADMIN_API_KEY: ADMIN_KEY,
    LOG_LEVEL: process.env.BENCH_VERBOSE ? 'info' : 'warn',
    PUBLIC_BASE_URL: `http://127.0.0.1:${port}`,
    // A load generator is one API key far above any per-key limit: the limits are off here.
    RATE_LIMIT_PER_MINUTE: '0',
    RATE_LIMIT_READS_PER_MINUTE: '0',
    // The API re-verifies the whole chain at boot and hourly (src/ops/health.ts); verify is
    // measured on its own below, so that background pass is off while the others are measured.
    CHAIN_FULL_VERIFY_MS: '0',
    ...env,
  }, label, nodeArgs);
  cleanups.push(() => proc.stop());
  const base = `http://127.0.0.1:${port}`;
  await waitForHttp(`${base}/api/events?limit=1`, proc, 90_000, AUTH);
  return { proc, base, port };
}

async function startEcho(env = {}, nodeArgs = []) {
  const port = await freePort();
  const proc = startProcess(B('echo-app.js'), [String(port)], env, 'echo', nodeArgs);
  cleanups.push(() => proc.stop());
  const base = `http://127.0.0.1:${port}`;
  await waitForHttp(`${base}/api/echo`, proc, 30_000);
  return { proc, base };
}

async function post(base, p, body, headers = {}) {
  const res = await fetch(base + p, { method: 'POST', headers: { 'content-type': 'application/json', ...AUTH, ...headers }, body: JSON.stringify(body) });
  const text = await res.text();
  if (res.status >= 300) throw new Error(`POST ${p} answered ${res.status}: ${text.slice(0, 300)}`);
  return JSON.parse(text);
}

async function getJson(base, p) {
  const res = await fetch(base + p, { headers: AUTH });
  const text = await res.text();
  if (res.status >= 300) throw new Error(`GET ${p} answered ${res.status}: ${text.slice(0, 300)}`);
  return JSON.parse(text);
}

/** Records claims through the API, `concurrency` at a time; returns [{id, position}]. */
async function seedClaims(base, n, { pledges = false, seed = 11, concurrency = 16 } = {}) {
  const r = data.rng(seed);
  const out = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < n) {
        next++;
        const body = data.claimBody(r, pledges ? undefined : false);
        out.push(await post(base, '/api/claims', body));
      }
    }),
  );
  return out;
}

function cannon(opts) {
  return new Promise((resolve, reject) => {
    autocannon({ ...opts }, (err, res) => (err ? reject(err) : resolve(res)));
  });
}

/** autocannon over a pool of request bodies; only 2xx answers count. */
async function load(label, url, { connections, seconds, method = 'POST', pathFor, bodies, headers = {} }) {
  let i = 0;
  const res = await cannon({
    url,
    connections,
    duration: seconds,
    requests: [
      {
        method,
        headers: { 'content-type': 'application/json', ...AUTH, ...headers },
        setupRequest: (req) => {
          const k = i++;
          return { ...req, path: pathFor(k), ...(bodies ? { body: bodies[k % bodies.length] } : {}) };
        },
      },
    ],
  });
  const ok = res['2xx'];
  const figure = {
    label,
    reqPerSec: Math.round(ok / res.duration),
    p50: res.latency.p50,
    p99: res.latency.p99,
    ok,
    non2xx: res.non2xx,
    errors: res.errors,
    timeouts: res.timeouts,
    seconds: +res.duration.toFixed(2),
    connections,
  };
  log(`  ${label}: ${figure.reqPerSec} req/s, p50 ${figure.p50} ms, p99 ${figure.p99} ms${figure.non2xx || figure.errors ? ` (non-2xx ${figure.non2xx}, errors ${figure.errors})` : ''}`);
  return figure;
}

// ---------------------------------------------------------------------------------------------
// Sections

async function ensurePeer() {
  const marker = path.join(__dirname, 'peer', 'node_modules', '@event-driven-io', 'emmett-sqlite', 'package.json');
  if (fs.existsSync(marker)) return true;
  if (process.env.BENCH_NO_PEER_INSTALL) return false;
  log('installing the Emmett peer into bench/peer (first run only; it compiles sqlite3, 1–3 minutes) …');
  const r = spawnSync('npm', ['install', '--prefix', path.join(__dirname, 'peer'), '--no-audit', '--no-fund', '--legacy-peer-deps'], {
    cwd: ROOT,
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  return r.status === 0 && fs.existsSync(marker);
}

async function sectionAppend() {
  log('\n[append] EventStore vs raw multi-row insert vs Emmett, 50 concurrent appenders, one EvidenceSubmitted each');
  const peerReady = await ensurePeer();
  const s = String(SIZE.appendSeconds);
  const raw = [];
  const store = [];
  const peer = [];
  // Interleaved rounds on a shared, noisy machine: medians of each, each in its own process.
  for (let round = 1; round <= SIZE.appendRounds; round++) {
    raw.push(await runNode(B('append.js'), ['--mode', 'raw', '--seconds', s, '--batch', '100'], { label: 'raw' }));
    // The store runs with TypeORM loaded, as in the service (its DataSource is given a non-verbose sqlite3).
    store.push(await runNode(B('append.js'), ['--mode', 'store', '--seconds', s, '--concurrency', '50', '--typeorm'], { label: 'store' }));
    if (peerReady) peer.push(await runNode(B('peer-append.js'), ['--seconds', s, '--concurrency', '50'], { label: 'emmett' }));
    log(`  round ${round}: raw ${raw.at(-1).eventsPerSecond}, store ${store.at(-1).eventsPerSecond}${peerReady ? `, emmett ${peer.at(-1).eventsPerSecond}` : ''} events/s`);
  }
  const withProjector = await runNode(B('append.js'), ['--mode', 'store', '--seconds', s, '--concurrency', '50', '--typeorm', '--projector'], { label: 'store+projector' });
  // Transparency (issue 12): the same read-model appends with and without the Merkle tree, interleaved.
  const withTree = [withProjector];
  const withoutTree = [];
  for (let round = 1; round <= SIZE.appendRounds; round++) {
    withoutTree.push(await runNode(B('append.js'), ['--mode', 'store', '--seconds', s, '--concurrency', '50', '--typeorm', '--projector', '--no-tree'], { label: 'store-no-tree' }));
    if (round > 1) withTree.push(await runNode(B('append.js'), ['--mode', 'store', '--seconds', s, '--concurrency', '50', '--typeorm', '--projector'], { label: 'store+tree' }));
  }
  const treeEps = median(withTree.map((x) => x.eventsPerSecond));
  const noTreeEps = median(withoutTree.map((x) => x.eventsPerSecond));
  log(`  read models with the Merkle tree ${fmt(treeEps)}, without ${fmt(noTreeEps)} events/s`);
  results.figures.appendTree = { withTree: treeEps, withoutTree: noTreeEps, ratio: treeEps / noTreeEps, rounds: { withTree, withoutTree } };
  // CPU per event (whole process: main thread and SQLite's threads) is steadier than events/s on a shared machine: shown beside it.
  const cpuTree = median(withTree.map((x) => x.cpuUsPerEvent));
  const cpuNoTree = median(withoutTree.map((x) => x.cpuUsPerEvent));
  results.figures.appendTree.cpuUsPerEvent = { withTree: cpuTree, withoutTree: cpuNoTree };
  target('append with the Merkle tree ≥ 90% of append without it', treeEps / noTreeEps >= 0.9, `${fmt(treeEps)} ev/s = ${pct(treeEps / noTreeEps)} of ${fmt(noTreeEps)}`, '≥ 90%',
    `all read models, 50 appenders; CPU ${cpuTree} vs ${cpuNoTree} µs/event`);
  const rawEps = median(raw.map((x) => x.eventsPerSecond));
  const storeEps = median(store.map((x) => x.eventsPerSecond));
  results.figures.append = { storeEventsPerSecond: storeEps, rawInsertEventsPerSecond: rawEps, ratio: storeEps / rawEps, rounds: { raw, store }, withReadModelProjector: withProjector };
  target('append ≥ 60% of raw multi-row insert (batches of 100)', storeEps / rawEps >= 0.6, `${fmt(storeEps)} ev/s = ${pct(storeEps / rawEps)} of ${fmt(rawEps)}`, '≥ 60%');
  if (peerReady && peer.every((p) => !p.skipped)) {
    const peerEps = median(peer.map((x) => x.eventsPerSecond));
    results.figures.peer = { emmettEventsPerSecond: peerEps, ours: storeEps, ratio: storeEps / peerEps, version: peer[0].version, rounds: peer };
    const failed = peer.reduce((a, p) => a + p.failed, 0);
    target('append ≥ 1.5× Emmett SQLite event store', storeEps / peerEps >= 1.5, `${fmt(storeEps)} / ${fmt(peerEps)} ev/s = ${(storeEps / peerEps).toFixed(1)}×`, '≥ 1.5×', `emmett-sqlite ${peer[0].version}, one long-lived connection${failed ? `, ${failed} failed appends` : ''}`);
  } else {
    results.skipped.push('peer: bench/peer is not installed (npm install --prefix bench/peer --legacy-peer-deps)');
    target('append ≥ 1.5× Emmett SQLite event store', null, 'SKIP', '≥ 1.5×', 'bench/peer is not installed');
  }
}

async function sectionIngest() {
  log('\n[ingest] POST /api/claims/:id/evidence and POST /api/claims at 50 connections vs a bare Nest+Fastify echo');
  const dir = tempDir('ingest');
  cleanups.push(() => rmrf(dir));
  const prefix = `clbench-ingest-${randomUUID().slice(0, 8)}`;
  const redisUp = await ping(REDIS_URL);
  if (redisUp) cleanups.push(() => deleteKeys(REDIS_URL, prefix));
  // BullMQ mode as deployed, with the workers elsewhere (none here): this measures what the API takes in.
  const profileOf = (name) => (PROFILE ? { BENCH_PROFILE_OUT: path.join(dir, `${name}.cpuprofile`) } : {});
  const svc = await startService('api-ingest', {
    DATABASE_PATH: path.join(dir, 'ledger.sqlite'),
    ...(redisUp ? { REDIS_URL, QUEUE_PREFIX: prefix, RUN_WORKERS: 'false' } : {}),
    ...profileOf('api'),
  }, PROFILE ? PROFILER : []);
  if (!redisUp) results.notes.push('ingest ran with in-process jobs: Redis was not reachable');
  const echo = await startEcho(profileOf('echo'), PROFILE ? PROFILER : []);
  const claims = await seedClaims(svc.base, 200);
  const r = data.rng(5);
  const evidenceBodies = Array.from({ length: 512 }, () => JSON.stringify(data.evidenceBody(r)));
  const claimBodies = Array.from({ length: 512 }, () => JSON.stringify(data.claimBody(r)));
  const opts = { connections: 50, seconds: SIZE.httpSeconds };
  const echo1 = await profiled(echo, () => load('echo (bare Nest+Fastify)', echo.base, { ...opts, pathFor: () => '/api/echo', bodies: evidenceBodies }));
  const evidence = await profiled(svc, () => load('POST /api/claims/:id/evidence', svc.base, { ...opts, pathFor: (k) => `/api/claims/${claims[k % claims.length].id}/evidence`, bodies: evidenceBodies }));
  const claimsRun = await load('POST /api/claims', svc.base, { ...opts, pathFor: () => '/api/claims', bodies: claimBodies });
  const echo2 = await load('echo again', echo.base, { ...opts, pathFor: () => '/api/echo', bodies: evidenceBodies });
  const echoRps = (echo1.reqPerSec + echo2.reqPerSec) / 2;
  results.figures.ingest = { echo: [echo1, echo2], echoReqPerSec: echoRps, evidence, claims: claimsRun, evidenceRatio: evidence.reqPerSec / echoRps, claimsRatio: claimsRun.reqPerSec / echoRps };
  if (PROFILE) {
    const prof = { evidence: await readProfile(path.join(dir, 'api.cpuprofile'), evidence), echo: await readProfile(path.join(dir, 'echo.cpuprofile'), echo1) };
    // BENCH_PROFILE_KEEP=<dir>: keep the raw profiles (open them in Chrome DevTools or speedscope).
    if (process.env.BENCH_PROFILE_KEEP) for (const f of ['api', 'echo']) fs.copyFileSync(path.join(dir, `${f}.cpuprofile`), path.join(process.env.BENCH_PROFILE_KEEP, `${f}.cpuprofile`));
    results.figures.ingest.profile = prof;
    printProfile(prof);
  }
  for (const [name, f] of [['evidence', evidence], ['claims', claimsRun]]) {
    target(`ingest POST ${name === 'evidence' ? '/api/claims/:id/evidence' : '/api/claims'} ≥ 50% of echo`, f.reqPerSec / echoRps >= 0.5 && f.non2xx === 0,
      `${fmt(f.reqPerSec)} req/s = ${pct(f.reqPerSec / echoRps)} of ${fmt(echoRps)} (p50 ${f.p50} / p99 ${f.p99} ms)`, '≥ 50%', f.non2xx ? `${f.non2xx} non-2xx` : '');
  }
  await echo.proc.stop();
  await svc.proc.stop();
}

/** Runs `work` with the process's CPU profiler on (BENCH_PROFILE=1; see bench/lib/profiler-preload.js). */
async function profiled(service, work) {
  if (!PROFILE) return work();
  service.proc.child.kill('SIGUSR2');
  await sleep(200); // the profiler starts asynchronously
  try {
    return await work();
  } finally {
    service.proc.child.kill('SIGUSR2');
  }
}

async function readProfile(file, run) {
  for (let i = 0; i < 100 && !fs.existsSync(file); i++) await sleep(100);
  await sleep(200); // written in one go, but give a large file time to land
  // Every request of the run counts, answered or not: they all cost CPU.
  return summarizeProfile(file, { requests: run.ok + run.non2xx });
}

function printProfile({ evidence, echo }) {
  log(`  CPU per request (BENCH_PROFILE): POST evidence ${evidence.cpuMicrosecondsPerRequest} µs (process busy ${evidence.busyPercent}%), echo ${echo.cpuMicrosecondsPerRequest} µs (busy ${echo.busyPercent}%)`);
  const echoBy = new Map(echo.areas.map((a) => [a.area, a]));
  for (const a of evidence.areas) {
    if (a.cpuMicrosecondsPerRequest === null) continue;
    const e = echoBy.get(a.area);
    log(`    ${a.area.padEnd(62)} ${String(a.cpuMicrosecondsPerRequest).padStart(7)} µs  ${String(a.percent).padStart(5)}%   echo ${e?.cpuMicrosecondsPerRequest ?? 0} µs`);
  }
}

async function sectionE2E() {
  log(`\n[end-to-end] evidence POST → VerificationStatusChanged visible, ${SIZE.e2eRate}/s for ${SIZE.e2eSeconds} s, BullMQ, 2 worker processes`);
  if (!(await ping(REDIS_URL))) {
    results.skipped.push(`end-to-end: no Redis at ${REDIS_URL}`);
    target('end-to-end p99 ≤ 50 ms', null, 'SKIP', '≤ 50 ms', 'no Redis');
    target('end-to-end p50 ≤ 5× raw BullMQ p50', null, 'SKIP', '≤ 5×', 'no Redis');
    return;
  }
  const raw = await runNode(B('bullmq-raw.js'), ['--redis', REDIS_URL, '--jobs', QUICK ? '200' : '500', '--rate', String(SIZE.e2eRate)], { label: 'bullmq' });
  log(`  raw BullMQ add→completed: p50 ${raw.p50.toFixed(2)} ms, p99 ${raw.p99.toFixed(2)} ms`);

  const dir = tempDir('e2e');
  cleanups.push(() => rmrf(dir));
  const prefix = `clbench-e2e-${randomUUID().slice(0, 8)}`;
  cleanups.push(() => deleteKeys(REDIS_URL, prefix));
  const env = { DATABASE_PATH: path.join(dir, 'ledger.sqlite'), REDIS_URL, QUEUE_PREFIX: prefix };
  // BENCH_PROFILE=1 with BENCH_PROFILE_KEEP=<dir>: the API's CPU profile of the measured run, kept as <dir>/api-e2e.cpuprofile.
  const e2eProfile = PROFILE && process.env.BENCH_PROFILE_KEEP ? path.join(process.env.BENCH_PROFILE_KEEP, 'api-e2e.cpuprofile') : null;
  const svc = await startService('api-e2e', { ...env, RUN_WORKERS: 'false', ...(e2eProfile ? { BENCH_PROFILE_OUT: e2eProfile } : {}) }, e2eProfile ? PROFILER : []);
  const workers = [];
  for (let i = 1; i <= 2; i++) {
    const w = startProcess(path.join(DIST, 'worker.js'), [], { ...env, ADMIN_API_KEY: ADMIN_KEY, LOG_LEVEL: process.env.BENCH_VERBOSE ? 'info' : 'warn' }, `worker-${i}`);
    cleanups.push(() => w.stop());
    workers.push(w);
  }
  const total = SIZE.e2eRate * SIZE.e2eSeconds;
  const WARM = 60;
  // One fresh claim per piece of evidence: its first supporting piece always moves it to "supported".
  const seeded = await seedClaims(svc.base, total + WARM, { pledges: false, seed: 23 });
  let cursor = Math.max(...seeded.map((c) => c.position));
  for (const w of workers) if (w.child.exitCode !== null) throw new Error(`${w.label} exited: ${w.tail()}`);

  // The tail is polled every POLL_MS (each poll is a request the API serves: polling every
  // millisecond or two loaded it enough to multiply the latencies it was measuring). "Visible" is
  // when the poll that first returns the status change comes back: an upper bound, at most one
  // poll interval late. The event's own recordedAt (stamped in its transaction, just before the
  // commit) gives the commit-side figure, shown alongside.
  const POLL_MS = Number(process.env.BENCH_POLL_MS || 5);
  const sentAt = new Map(); // claimId -> performance.now() at send
  const sentWall = new Map(); // claimId -> Date.now() at send
  const seenAt = new Map();
  const recordedLag = [];
  let sendErrors = 0;
  let polling = true;
  const poller = (async () => {
    while (polling) {
      const page = await getJson(svc.base, `/api/events?after=${cursor}&limit=500`).catch(() => null);
      const now = performance.now();
      if (page) {
        for (const e of page.items) {
          cursor = e.position;
          if (e.type !== 'VerificationStatusChanged') continue;
          const claimId = e.streamId.slice('claim-'.length);
          const t0 = sentAt.get(claimId);
          if (t0 === undefined || seenAt.has(claimId)) continue;
          seenAt.set(claimId, now - t0);
          recordedLag.push(Date.parse(e.recordedAt) - sentWall.get(claimId));
        }
      }
      await sleep(POLL_MS);
    }
  })();
  const r = data.rng(31);
  const sendAll = async (claims, rate) => {
    const gap = 1000 / rate;
    const start = performance.now();
    const sends = [];
    for (let i = 0; i < claims.length; i++) {
      const wait = start + i * gap - performance.now();
      if (wait > 0) await sleep(wait);
      const claimId = claims[i].id;
      const body = { ...data.evidenceBody(r), stance: 'supports', reliability: 'A', credibility: 1 };
      sentAt.set(claimId, performance.now());
      sentWall.set(claimId, Date.now());
      sends.push(post(svc.base, `/api/claims/${claimId}/evidence`, body).catch(() => sendErrors++));
    }
    await Promise.all(sends);
    const deadline = Date.now() + 30_000;
    while (seenAt.size < sentAt.size - sendErrors && Date.now() < deadline) await sleep(20);
  };
  // Warm-up, not measured: the workers' first jobs (connections, JIT) and the whole path once.
  await sendAll(seeded.slice(total), 20);
  if (sendErrors || seenAt.size < WARM) throw new Error(`warm-up: ${seenAt.size}/${WARM} status changes seen, ${sendErrors} failed POSTs`);
  seenAt.clear();
  sentAt.clear();
  sentWall.clear();
  recordedLag.length = 0;
  await (e2eProfile ? profiled(svc, () => sendAll(seeded.slice(0, total), SIZE.e2eRate)) : sendAll(seeded.slice(0, total), SIZE.e2eRate));
  polling = false;
  await poller;
  const lat = summarize([...seenAt.values()]);
  const committed = summarize(recordedLag);
  const missing = total - sendErrors - seenAt.size;
  log(`  evidence → status visible (tail polled every ${POLL_MS} ms): p50 ${lat.p50.toFixed(1)} ms, p99 ${lat.p99.toFixed(1)} ms, max ${lat.max.toFixed(1)} ms (${seenAt.size}/${total} seen${sendErrors ? `, ${sendErrors} POSTs failed` : ''})`);
  log(`  evidence → status recordedAt (commit side): p50 ${committed.p50} ms, p99 ${committed.p99} ms`);
  results.figures.endToEnd = { rate: SIZE.e2eRate, seconds: SIZE.e2eSeconds, pollMs: POLL_MS, sent: total, seen: seenAt.size, sendErrors, missing, visible: lat, recordedAtLag: committed, rawBullmq: raw, p50VsRaw: lat.p50 / raw.p50 };
  target('end-to-end p99 ≤ 50 ms', lat.p99 <= 50 && missing === 0 && sendErrors === 0, `p99 ${lat.p99.toFixed(1)} ms (p50 ${lat.p50.toFixed(1)})`, '≤ 50 ms', missing || sendErrors ? `${missing} never seen, ${sendErrors} failed POSTs` : '');
  target('end-to-end p50 ≤ 5× raw BullMQ add→completed p50', lat.p50 <= 5 * raw.p50, `${lat.p50.toFixed(1)} ms = ${(lat.p50 / raw.p50).toFixed(1)}× of ${raw.p50.toFixed(2)} ms`, '≤ 5×');
  if (process.env.BENCH_E2E_STAGES) results.figures.endToEnd.stages = await e2eStages(REDIS_URL, prefix, path.join(dir, 'ledger.sqlite'), sentWall);
  for (const w of workers) await w.stop();
  await svc.proc.stop();
}

/**
 * BENCH_E2E_STAGES=1: where the end-to-end time goes, per piece of evidence, from the jobs'
 * BullMQ timestamps (kept on completion) and the events' recordedAt (all wall clock, ms).
 */
async function e2eStages(redisUrl, prefix, db, sentWall) {
  const { Queue } = require('bullmq');
  const queue = new Queue('evidence-attach', { connection: { url: redisUrl }, prefix });
  const jobs = await queue.getJobs(['completed'], 0, -1);
  await queue.close();
  const sqlite3 = require('sqlite3');
  const conn = await new Promise((res, rej) => { const d = new sqlite3.Database(db, sqlite3.OPEN_READONLY, (e) => (e ? rej(e) : res(d))); });
  const rows = await new Promise((res, rej) => conn.all("SELECT position, type, stream_id, recorded_at FROM events WHERE type IN ('EvidenceSubmitted','VerificationStatusChanged')", (e, r) => (e ? rej(e) : res(r))));
  conn.close();
  const submittedAt = new Map(); // position -> recordedAt
  const statusAt = new Map(); // claimId -> recordedAt
  for (const r of rows) {
    if (r.type === 'EvidenceSubmitted') submittedAt.set(r.position, Date.parse(r.recorded_at));
    else statusAt.set(r.stream_id.slice('claim-'.length), Date.parse(r.recorded_at));
  }
  const st = { commit: [], handOver: [], queued: [], handler: [], finish: [] };
  for (const j of jobs) {
    const sent = sentWall.get(j.data.claimId);
    const committed = submittedAt.get(j.data.position);
    const status = statusAt.get(j.data.claimId);
    if (sent === undefined || committed === undefined || status === undefined) continue;
    st.commit.push(committed - sent);
    st.handOver.push(j.timestamp - committed);
    st.queued.push(j.processedOn - j.timestamp);
    st.handler.push(status - j.processedOn);
    st.finish.push(j.finishedOn - status);
  }
  const out = {};
  for (const [k, v] of Object.entries(st)) out[k] = summarize(v);
  log(`  stages (ms, p50/p99 of ${st.commit.length}): ` + Object.entries(out).map(([k, v]) => `${k} ${v.p50}/${v.p99}`).join(', '));
  log('    commit = POST sent → EvidenceSubmitted recordedAt; handOver → job added; queued → a worker took it; handler → status recordedAt; finish → job completed');
  return out;
}

async function sectionLog() {
  const n = SIZE.logEvents;
  log(`\n[log] ${fmt(n)} events: generate, verify, raw scan, rebuild, query, scale`);
  const dir = tempDir('log');
  cleanups.push(() => rmrf(dir));
  const db = path.join(dir, 'ledger.sqlite');
  const gen = await runNode(B('gen-log.js'), ['--db', db, '--events', String(n)], { label: 'generate' });
  log(`  generated ${fmt(gen.events)} events in ${(gen.ms / 1000).toFixed(1)} s: ${fmt(gen.claims)} claims (${fmt(gen.pledges)} pledges), ${Object.entries(gen.counts).map(([k, v]) => `${k} ${fmt(v)}`).join(', ')}`);
  results.figures.log = { generated: gen, fileMb: Math.round(fs.statSync(db).size / 2 ** 20) };

  // verify: the chain over the whole log, as GET /api/ledger/verify does it.
  if (wantsLogPart('verify')) {
    const verify = await runNode(B('verify.js'), ['--db', db], { label: 'verify' });
    log(`  verify: ${fmt(verify.eventsPerSecond)} events/s (${verify.ok ? 'chain ok' : `BROKEN: ${verify.problem}`}, ${fmt(verify.events)} events)`);
    results.figures.verify = verify;
    target('verify ≥ 100k events/s', verify.ok && verify.eventsPerSecond >= 100_000, `${fmt(verify.eventsPerSecond)} ev/s`, '≥ 100,000', verify.ok ? '' : 'chain did not verify');
  }

  // rebuild vs a raw keyset scan of the same log (both in their own process: peak RSS is theirs).
  // The rebuild always runs: the generated log has no read models, and the parts below read them.
  const scan = wantsLogPart('rebuild') ? await runNode(B('scan.js'), ['--db', db, '--page', '2000'], { label: 'scan' }) : null;
  if (scan) log(`  raw keyset scan + JSON.parse: ${fmt(scan.eventsPerSecond)} events/s, peak RSS ${scan.peakRssMb} MB`);
  const rebuild = await runNode(path.join(DIST, 'rebuild.js'), ['--json'], { env: { DATABASE_PATH: db, LOG_LEVEL: 'warn' }, label: 'rebuild' });
  log(`  rebuild: ${fmt(rebuild.eventsPerSecond)} events/s, peak RSS ${rebuild.peakRssMb} MB`);
  if (scan) {
    results.figures.rebuild = { ...rebuild, rawScan: scan, ratio: rebuild.eventsPerSecond / scan.eventsPerSecond };
    target('rebuild ≥ 50k events/s', rebuild.eventsPerSecond >= 50_000, `${fmt(rebuild.eventsPerSecond)} ev/s`, '≥ 50,000');
    target('rebuild ≥ 50% of raw keyset scan', rebuild.eventsPerSecond / scan.eventsPerSecond >= 0.5, `${pct(rebuild.eventsPerSecond / scan.eventsPerSecond)} of ${fmt(scan.eventsPerSecond)} ev/s`, '≥ 50%');
    target('rebuild peak RSS ≤ 300 MB', rebuild.peakRssMb <= 300, `${rebuild.peakRssMb} MB`, '≤ 300 MB', `${fmt(rebuild.events)} events`);
  }

  // query: the claims list by status over the rebuilt read models.
  if (wantsLogPart('query') || wantsLogPart('proofs')) {
    const counts = await sqliteCounts(db);
    const svc = await startService('api-query', { DATABASE_PATH: db });
    const statuses = counts.byStatus.map((s) => s.status);
    if (wantsLogPart('query')) {
      const query = await load(`GET /api/claims?status=… (${fmt(counts.claims)} claims)`, svc.base, {
        connections: 10,
        seconds: SIZE.querySeconds,
        method: 'GET',
        pathFor: (k) => `/api/claims?status=${statuses[k % statuses.length]}`,
      });
      results.figures.query = { ...query, claims: counts.claims, byStatus: counts.byStatus };
      target('query GET /api/claims?status=… p99 ≤ 20 ms', query.p99 <= 20 && query.non2xx === 0, `p99 ${query.p99} ms (p50 ${query.p50}, ${fmt(query.reqPerSec)} req/s) over ${fmt(counts.claims)} claims`, '≤ 20 ms');
    }
    // Transparency (issue 12): proofs from the stored tree (rebuilt above) and verify-log over the whole log.
    if (wantsLogPart('proofs')) await sectionTransparency(svc, gen.events);
    await svc.proc.stop();
  }

  if (!wantsLogPart('scale')) return;
  // scale: the append workload on top of the full log vs on top of 1,000 events, interleaved.
  const small = [];
  const big = [];
  for (let round = 1; round <= SIZE.scaleRounds; round++) {
    small.push(await runNode(B('append.js'), ['--mode', 'store', '--typeorm', '--prefill', '1000', '--warmup', '1000', '--count', String(SIZE.scaleCount)], { label: 'scale-1k' }));
    big.push(await runNode(B('append.js'), ['--mode', 'store', '--typeorm', '--db', db, '--warmup', '1000', '--count', String(SIZE.scaleCount)], { label: 'scale-big' }));
    log(`  round ${round}: on 1,000 events ${fmt(small.at(-1).eventsPerSecond)} ev/s, on ${fmt(n)} events ${fmt(big.at(-1).eventsPerSecond)} ev/s`);
  }
  const smallEps = median(small.map((x) => x.eventsPerSecond));
  const bigEps = median(big.map((x) => x.eventsPerSecond));
  results.figures.scale = { on1k: smallEps, onFull: bigEps, ratio: bigEps / smallEps, logEvents: n, rounds: { small, big } };
  target(`scale: append on ${fmt(n)} ÷ on 1,000 events ≥ 0.9`, bigEps / smallEps >= 0.9, `${(bigEps / smallEps).toFixed(2)} (${fmt(bigEps)} / ${fmt(smallEps)} ev/s)`, '≥ 0.9');
}

/** Inclusion and consistency proofs at the log's full size (10 connections), then verify-log over it. */
async function sectionTransparency(svc, n) {
  const size = n;
  let seed = 12345;
  const rnd = (max) => 1 + ((seed = (seed * 1103515245 + 12345) % 2147483648) % max);
  const inclusion = await load(`GET /api/proofs/inclusion at ${fmt(size)} events`, svc.base, {
    connections: 10,
    seconds: SIZE.querySeconds,
    method: 'GET',
    pathFor: () => `/api/proofs/inclusion?position=${rnd(size)}&size=${size}`,
  });
  const consistency = await load(`GET /api/proofs/consistency at ${fmt(size)} events`, svc.base, {
    connections: 10,
    seconds: SIZE.querySeconds,
    method: 'GET',
    pathFor: () => `/api/proofs/consistency?from=${rnd(size)}&to=${size}`,
  });
  const p99 = Math.max(inclusion.p99, consistency.p99);
  results.figures.proofs = { size, inclusion, consistency };
  target(`proofs at ${fmt(size)} events p99 ≤ 10 ms (10 connections)`, p99 <= 10 && inclusion.non2xx === 0 && consistency.non2xx === 0,
    `inclusion p99 ${inclusion.p99} ms (${fmt(inclusion.reqPerSec)} req/s), consistency p99 ${consistency.p99} ms (${fmt(consistency.reqPerSec)} req/s)`, '≤ 10 ms');

  // verify-log needs a checkpoint of the whole log: the service signs it (CHECKPOINT_INTERVAL_MS), or an admin asks.
  const signed = await fetch(`${svc.base}/api/checkpoint`, { method: 'POST', headers: AUTH });
  if (signed.status !== 200) throw new Error(`POST /api/checkpoint answered ${signed.status}: ${(await signed.text()).slice(0, 300)}`);
  const vkey = (await (await fetch(`${svc.base}/api/checkpoint/key`)).text()).trim();
  // A failed check exits 1: its JSON report is still the figure (the target then FAILs).
  const verifyLog = await runNode(path.join(DIST, 'transparency', 'cli', 'verify-log.js'), ['--log', svc.base, '--vkey', vkey, '--key', ADMIN_KEY, '--json'], { label: 'verify-log' }).catch((err) => ({
    ok: false, events: 0, verdicts: 0, eventsPerSecond: 0, checks: [{ name: 'run', ok: false, detail: err.message }],
  }));
  log(`  verify-log: ${fmt(verifyLog.eventsPerSecond)} events/s over ${fmt(verifyLog.events)} events, ${fmt(verifyLog.verdicts)} verdicts recomputed (${verifyLog.ok ? 'ok' : 'FAILED: ' + verifyLog.checks.filter((c) => !c.ok).map((c) => c.name + ': ' + c.detail).join('; ')})`);
  results.figures.verifyLog = verifyLog;
  target('verify-log ≥ 50k events/s (verdicts recomputed)', verifyLog.ok && verifyLog.eventsPerSecond >= 50_000, `${fmt(verifyLog.eventsPerSecond)} ev/s, ${fmt(verifyLog.verdicts)} verdicts`, '≥ 50,000', verifyLog.ok ? '' : 'a check failed');
}

async function sqliteCounts(db) {
  const sqlite3 = require('sqlite3');
  const h = await new Promise((res, rej) => {
    const d = new sqlite3.Database(db, sqlite3.OPEN_READONLY, (e) => (e ? rej(e) : res(d)));
  });
  const all = (sql) => new Promise((res, rej) => h.all(sql, (e, rows) => (e ? rej(e) : res(rows))));
  const claims = (await all('SELECT COUNT(*) AS n FROM claims'))[0].n;
  const byStatus = await all('SELECT status, COUNT(*) AS n FROM claims GROUP BY status ORDER BY n DESC');
  await new Promise((res) => h.close(() => res()));
  return { claims, byStatus };
}

// ---------------------------------------------------------------------------------------------
// Output

function fmt(n) {
  return typeof n === 'number' && Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : String(n);
}
function pct(x) {
  return `${(100 * x).toFixed(0)}%`;
}

function printTable() {
  const f = results.figures;
  const rows = [];
  const add = (what, value, reference, ratio) => rows.push([what, value, reference, ratio]);
  if (f.ingest) {
    const e = f.ingest;
    add('ingest: echo (bare Nest+Fastify), 50 conn', `${fmt(e.echoReqPerSec)} req/s`, 'reference', '');
    for (const [label, x] of [['ingest: POST /api/claims/:id/evidence', e.evidence], ['ingest: POST /api/claims', e.claims]]) {
      add(label, `${fmt(x.reqPerSec)} req/s (p50 ${x.p50} / p99 ${x.p99} ms)`, `echo ${fmt(e.echoReqPerSec)} req/s`, pct(x.reqPerSec / e.echoReqPerSec));
    }
  }
  if (f.append) {
    add('append: EventStore, 50 appenders', `${fmt(f.append.storeEventsPerSecond)} ev/s`, `raw insert ×100 ${fmt(f.append.rawInsertEventsPerSecond)} ev/s`, pct(f.append.ratio));
    add('  (same, with the read-model projector)', `${fmt(f.append.withReadModelProjector.eventsPerSecond)} ev/s`, 'info', '');
  }
  if (f.peer) add(`peer: Emmett SQLite ${f.peer.version}, 50 appenders`, `${fmt(f.peer.emmettEventsPerSecond)} ev/s`, `ours ${fmt(f.peer.ours)} ev/s`, `${f.peer.ratio.toFixed(1)}×`);
  if (f.endToEnd) {
    const x = f.endToEnd;
    add(`end-to-end: evidence → status, ${x.rate}/s`, `p50 ${x.visible.p50.toFixed(1)} / p99 ${x.visible.p99.toFixed(1)} ms`, `raw BullMQ p50 ${x.rawBullmq.p50.toFixed(2)} ms`, `${x.p50VsRaw.toFixed(1)}×`);
    add('  (same, by the event\'s recordedAt)', `p50 ${x.recordedAtLag.p50} / p99 ${x.recordedAtLag.p99} ms`, 'info', '');
  }
  if (f.rebuild) {
    add(`rebuild: ${fmt(f.rebuild.events)} events`, `${fmt(f.rebuild.eventsPerSecond)} ev/s, RSS ${f.rebuild.peakRssMb} MB`, `raw scan ${fmt(f.rebuild.rawScan.eventsPerSecond)} ev/s`, pct(f.rebuild.ratio));
  }
  if (f.verify) add(`verify: ${fmt(f.verify.events)} events`, `${fmt(f.verify.eventsPerSecond)} ev/s`, '', '');
  if (f.scale) add('scale: append on full log / on 1,000', `${fmt(f.scale.onFull)} / ${fmt(f.scale.on1k)} ev/s`, '', f.scale.ratio.toFixed(2));
  if (f.query) add(`query: GET /api/claims?status=, 10 conn`, `p99 ${f.query.p99} ms (p50 ${f.query.p50}, ${fmt(f.query.reqPerSec)} req/s)`, `${fmt(f.query.claims)} claims`, '');

  require('./imports').tableRows(f, add, fmt);

  const widths = [0, 1, 2, 3].map((i) => Math.max(...rows.map((r) => r[i].length), ['figure', 'value', 'reference', 'ratio'][i].length));
  const line = (r) => r.map((c, i) => c.padEnd(widths[i])).join('  ');
  log(`\nclaim-ledger bench${QUICK ? ' (BENCH_QUICK: smaller sizes, shorter runs)' : ''} — node ${results.machine.node}, ${results.machine.cpus} cpus, load at start ${results.machine.loadavgAtStart.join(' ')}`);
  log(line(['figure', 'value', 'reference', 'ratio']));
  log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const r of rows) log(line(r));
  log('\ntargets');
  const tw = Math.max(...results.targets.map((t) => t.name.length));
  for (const t of results.targets) {
    const verdict = t.pass === null ? 'SKIP' : t.pass ? 'PASS' : 'FAIL';
    log(`  ${verdict}  ${t.name.padEnd(tw)}  ${t.value}${t.detail ? `  (${t.detail})` : ''}`);
  }
  for (const s of results.skipped) log(`  SKIP  ${s}`);
  for (const nte of results.notes) log(`  note: ${nte}`);
}

async function main() {
  for (const f of ['main.js', 'worker.js', 'rebuild.js']) {
    if (!fs.existsSync(path.join(DIST, f))) throw new Error(`${path.join(DIST, f)} is missing: run \`npm run build\` first (npm run bench does)`);
  }
  const t0 = Date.now();
  if (wants('append')) await sectionAppend();
  if (wants('ingest')) await sectionIngest();
  if (wants('e2e')) await sectionE2E();
  if (wants('log')) await sectionLog();
  if (wants('import')) await require('./imports').sectionImport({ startService, post, getJson, target, results, log, fmt, AUTH, cleanups, REDIS_URL, ADMIN_KEY });
  if (wants('webhooks')) await require('./webhooks').sectionWebhooks({ startService, post, target, results, log, cleanups, AUTH, REDIS_URL });
  results.finishedAt = new Date().toISOString();
  results.seconds = Math.round((Date.now() - t0) / 1000);
  results.machine.loadavgAtEnd = os.loadavg().map((x) => +x.toFixed(2));
  printTable();
  fs.mkdirSync(path.join(__dirname, 'results'), { recursive: true });
  fs.writeFileSync(path.join(__dirname, 'results', 'latest.json'), JSON.stringify(results, null, 2) + '\n');
  log(`\n${results.seconds} s; written to bench/results/latest.json`);
}

async function cleanup() {
  while (cleanups.length) {
    try {
      await cleanups.pop()();
    } catch {
      /* best effort */
    }
  }
}

let exiting = false;
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => {
    if (exiting) return;
    exiting = true;
    log(`\n${sig}: stopping the bench's processes …`);
    cleanup().finally(() => process.exit(130));
  });
}

main()
  .then(cleanup)
  .then(() => process.exit(0))
  .catch(async (err) => {
    console.error(`\nbench failed: ${err instanceof Error ? err.message : err}`);
    await cleanup();
    process.exit(1);
  });
