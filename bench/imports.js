'use strict';
/**
 * The import section of `npm run bench` (issue 13), run by bench/run.js (BENCH_ONLY=import):
 *
 * 1. A generated ACLED export (200,000 rows; 20,000 with BENCH_QUICK), spread over Ukraine and
 *    two years, uploaded into a ledger holding 1,000 pledges (200 quick): upload to `done`, rows/s,
 *    and the peak RSS (VmHWM) of the service process, which runs the import and the matching jobs.
 * 2. 20 new pledges over the ledger holding those reports: the time from 201 until the claim view
 *    shows every report the plain rule says matches (computed here from the same rows).
 * 3. The indexed matcher against the plain scan over the same scopes and reports, in this process.
 *
 * The rows are generated (never committed); the rule and the mapping are the service's own
 * compiled code (dist/domain/matching.js, dist/imports/acled.js).
 */
const fs = require('node:fs');
const http = require('node:http');
const path = require('node:path');
const { once } = require('node:events');
const { DIST, QUICK, tempDir, rmrf, sleep, percentile, startProcess } = require('./lib/common');
const { deleteKeys, ping } = require('./lib/redis');
const { rng } = require('./lib/data');
const { randomUUID } = require('node:crypto');

const COLUMNS = [
  'event_id_cnty', 'event_date', 'year', 'time_precision', 'disorder_type', 'event_type', 'sub_event_type',
  'actor1', 'assoc_actor_1', 'inter1', 'actor2', 'assoc_actor_2', 'inter2', 'interaction', 'civilian_targeting',
  'iso', 'region', 'country', 'admin1', 'admin2', 'admin3', 'location', 'latitude', 'longitude', 'geo_precision',
  'source', 'source_scale', 'notes', 'fatalities', 'tags', 'timestamp',
];
const SUBS = [
  ['Explosions/Remote violence', 'Shelling/artillery/missile attack'],
  ['Explosions/Remote violence', 'Air/drone strike'],
  ['Battles', 'Armed clash'],
  ['Violence against civilians', 'Attack'],
  ['Protests', 'Peaceful protest'],
  ['Explosions/Remote violence', 'Remote explosive/landmine/IED'],
];
const DAY = 86_400_000;
const T0 = Date.UTC(2022, 1, 24);
const DAYS = 730;

const q = (v) => (/[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);

/** Row i: somewhere in Ukraine's box, some day of two years, one of six sub-event types, all precisions. */
function row(i) {
  const r = rng(i * 2654435761);
  const [eventType, sub] = SUBS[Math.floor(r() * SUBS.length)];
  const day = new Date(T0 + Math.floor(r() * DAYS) * DAY).toISOString().slice(0, 10);
  const lat = (44.5 + r() * 7.8).toFixed(4);
  const lon = (22.2 + r() * 18).toFixed(4);
  const loc = `Settlement ${Math.floor(r() * 5000)}`;
  return {
    event_id_cnty: `UKR${i}`, event_date: day, year: day.slice(0, 4), time_precision: String(1 + Math.floor(r() * 3)),
    disorder_type: 'Political violence', event_type: eventType, sub_event_type: sub, actor1: 'Military Forces of Russia (2000-)',
    assoc_actor_1: '', inter1: '8', actor2: 'Civilians (Ukraine)', assoc_actor_2: '', inter2: '7', interaction: '78',
    civilian_targeting: '', iso: '804', region: 'Europe', country: 'Ukraine', admin1: 'Oblast', admin2: '', admin3: '',
    location: loc, latitude: lat, longitude: lon, geo_precision: String(1 + Math.floor(r() * 3)),
    source: 'Suspilne Media; Ukrinform', source_scale: 'National',
    notes: `On ${day}, Russian forces shelled ${loc}, "damaging" homes,\nand a school. [size=no report]`,
    fatalities: String(Math.floor(r() * 4)), tags: '', timestamp: String(1_650_000_000 + i),
  };
}

async function writeFile(file, n) {
  const out = fs.createWriteStream(file);
  out.write(COLUMNS.join(',') + '\n');
  for (let i = 1; i <= n; i++) {
    const rw = row(i);
    if (!out.write(COLUMNS.map((c) => q(rw[c])).join(',') + '\n')) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
}

/** Pledge k: one place (a dense spot or anywhere), radius 10–40 km, a window of 1–3 months. */
function scope(k, r) {
  const from = T0 + Math.floor(r() * (DAYS - 90)) * DAY;
  return {
    places: [{ name: `Settlement ${Math.floor(r() * 5000)}`, lat: +(44.5 + r() * 7.8).toFixed(4), lon: +(22.2 + r() * 18).toFixed(4), radiusKm: 10 + Math.floor(r() * 30) }],
    indicators: r() < 0.5 ? ['shelling', 'airstrike'] : ['shelling'],
    from: new Date(from).toISOString(),
    ...(k % 3 === 0 ? {} : { until: new Date(from + (30 + Math.floor(r() * 60)) * DAY).toISOString() }),
    expectation: 'absence',
  };
}

function pledgeBody(k, sc) {
  return {
    kind: 'pledge',
    statement: `Pledge ${k}: no shelling near ${sc.places[0].name}`,
    speaker: { name: 'Bench speaker' },
    madeAt: sc.from,
    source: { url: `https://example.org/pledges/${k}`, publisher: 'Bench' },
    topics: ['bench'],
    scope: sc,
  };
}

function peakRssMb(pid) {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Math.round(Number(m[1]) / 1024) : NaN;
  } catch {
    return NaN;
  }
}

function uploadFile(base, auth, file, query) {
  return new Promise((resolve, reject) => {
    const u = new URL(`${base}/api/imports?${query}`);
    const req = http.request(u, { method: 'POST', headers: { ...auth, 'content-type': 'text/csv', 'content-length': String(fs.statSync(file).size) } }, (res) => {
      let text = '';
      res.on('data', (c) => (text += c));
      res.on('end', () => (res.statusCode === 202 ? resolve(JSON.parse(text)) : reject(new Error(`upload answered ${res.statusCode}: ${text.slice(0, 300)}`))));
    });
    req.on('error', reject);
    fs.createReadStream(file).pipe(req);
  });
}

/** Waits until the dispatcher has no lag and the head has not moved for `quietMs` (the matching jobs have caught up). */
// /health gives the dispatcher's lag and head only to a caller with a key (issue 16.9).
async function settle(base, auth, quietMs = 2000, timeoutMs = 900_000) {
  const deadline = Date.now() + timeoutMs;
  let last = -1;
  let since = Date.now();
  while (Date.now() < deadline) {
    const res = await fetch(`${base}/health`, { headers: auth }).catch(() => null);
    const body = res ? await res.json().catch(() => null) : null;
    const d = body && body.details && body.details.dispatcher;
    if (d && typeof d.lag !== 'number') throw new Error('/health gave no dispatcher lag: the bench must send its key');
    const head = d ? d.head : -1;
    if (!d || d.lag > 0 || head !== last) {
      last = head;
      since = Date.now();
    } else if (Date.now() - since >= quietMs) return head;
    await sleep(200);
  }
  throw new Error('the jobs did not settle');
}

async function sectionImport(ctx) {
  const { startService, post, getJson, target, results, log, fmt, AUTH, cleanups, REDIS_URL, ADMIN_KEY } = ctx;
  // A bounded heap: V8 otherwise lets garbage pile up to ~250 MB between major collections
  // (live heap after one: ~65 MB), and the RSS follows. The README recommends the same flag.
  const heapMb = Number(process.env.BENCH_IMPORT_HEAP_MB || 160);
  const nodeArgs = heapMb > 0 ? [`--max-old-space-size=${heapMb}`] : [];
  const { matchReportToScope } = require(path.join(DIST, 'domain', 'matching.js'));
  const { ScopeIndex, plainMatch } = require(path.join(DIST, 'domain', 'match-index.js'));
  const { mapAcledRow } = require(path.join(DIST, 'imports', 'acled.js'));
  const ROWS = QUICK ? 20_000 : 200_000;
  const PLEDGES = QUICK ? 200 : 1_000;
  log(`\n[import] ${fmt(ROWS)} ACLED rows into a ledger with ${fmt(PLEDGES)} pledges; 20 new pledges over them; indexed vs plain matcher`);
  const dir = tempDir('import');
  cleanups.push(() => rmrf(dir));
  const file = path.join(dir, 'acled.csv');
  await writeFile(file, ROWS);
  log(`  generated ${fmt(ROWS)} rows (${(fs.statSync(file).size / 2 ** 20).toFixed(1)} MB)`);

  // One process by default (the API runs the import and the matching jobs, no Redis: the
  // embedded default). BENCH_IMPORT_MODE=bullmq: the API takes the upload and one worker
  // process runs the import and the jobs through BullMQ.
  const redisUp = process.env.BENCH_IMPORT_MODE === 'bullmq' && (await ping(REDIS_URL));
  const prefix = `clbench-import-${randomUUID().slice(0, 8)}`;
  const env = { DATABASE_PATH: path.join(dir, 'ledger.sqlite'), POLL_INTERVAL_MS: '100', ...(redisUp ? { REDIS_URL, QUEUE_PREFIX: prefix } : {}) };
  if (redisUp) cleanups.push(() => deleteKeys(REDIS_URL, prefix));
  const svc = await startService('api-import', { ...env, ...(redisUp ? { RUN_WORKERS: 'false' } : {}) }, nodeArgs);
  const procs = [svc.proc];
  if (redisUp) {
    const w = startProcess(path.join(DIST, 'worker.js'), [], { ...env, ADMIN_API_KEY: ADMIN_KEY, LOG_LEVEL: 'warn', WORKER_CONCURRENCY: process.env.BENCH_IMPORT_WORKER_CONCURRENCY || '2' }, 'worker-import', nodeArgs);
    cleanups.push(() => w.stop());
    procs.push(w);
  }
  const peak = () => Math.max(...procs.map((p) => peakRssMb(p.child.pid)));
  log(`  ${redisUp ? 'API + one worker process (BullMQ)' : 'one process, jobs in-process (no Redis)'}, node ${nodeArgs.join(' ') || '(default heap)'}`);
  const r = rng(77);
  const scopes = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (next < PLEDGES) {
        const k = next++;
        const sc = scope(k, r);
        scopes.push(sc);
        await post(svc.base, '/api/claims', pledgeBody(k, sc));
      }
    }),
  );
  await settle(svc.base, AUTH, 1000);

  const t0 = Date.now();
  const { importId } = await uploadFile(svc.base, AUTH, file, 'format=acled&dataset=bench-acled');
  const uploadedMs = Date.now() - t0;
  let view;
  for (;;) {
    view = await getJson(svc.base, `/api/imports/${importId}`);
    if (view.state === 'done' || view.state === 'failed') break;
    await sleep(100);
  }
  const seconds = (Date.now() - t0) / 1000;
  const rate = view.rows / seconds;
  const rssImport = procs.map((p) => `${p.label} ${peakRssMb(p.child.pid)}`).join(', ');
  log(`  import ${view.state}: ${fmt(view.rows)} rows in ${seconds.toFixed(1)} s (upload ${uploadedMs} ms) = ${fmt(rate)} rows/s; accepted ${fmt(view.accepted)}, rejected ${view.rejected}; peak RSS MB: ${rssImport}`);
  const settleStart = Date.now();
  await settle(svc.base, AUTH);
  const rssAll = peak();
  log(`  matching jobs caught up ${((Date.now() - settleStart) / 1000).toFixed(1)} s after done; peak RSS MB: ${procs.map((p) => `${p.label} ${peakRssMb(p.child.pid)}`).join(', ')}`);
  results.figures.import = { rows: view.rows, seconds, rowsPerSecond: rate, accepted: view.accepted, peakRssMb: rssAll, pledges: PLEDGES, sha256: view.sha256, processes: procs.map((p) => p.label), nodeArgs };
  target(`import ${fmt(ROWS)} ACLED rows, ${fmt(PLEDGES)} pledges ≥ 5,000 rows/s`, view.state === 'done' && view.accepted === ROWS && rate >= 5000, `${fmt(rate)} rows/s`, '≥ 5,000', `${fmt(view.rows)} rows in ${seconds.toFixed(1)} s`);
  target('import: peak RSS of every process ≤ 300 MB', rssAll <= 300, `${rssAll} MB`, '≤ 300 MB', `${procs.map((p) => p.label).join(' + ')}, ${nodeArgs.join(' ') || 'default heap'}`);

  // 20 new pledges over the reports: time until the view shows all the plain rule's matches.
  const reports = [];
  const defaults = { dataset: 'bench-acled', datasetUrl: 'https://acleddata.com/data-export-tool/', reliability: 'B', credibility: 2 };
  for (let i = 1; i <= ROWS; i++) {
    const m = mapAcledRow(row(i), i, defaults);
    if (m.ok) reports.push(m.report);
  }
  const times = [];
  let matchedTotal = 0;
  const pr = rng(4242);
  for (let k = 0; k < 20; k++) {
    // Centred on a report so that most of these pledges have matches to attach.
    const at = reports[Math.floor(pr() * reports.length)];
    const sc = {
      places: [{ name: `Centre ${k}`, lat: at.places[0].lat, lon: at.places[0].lon, radiusKm: 60 }],
      indicators: ['shelling', 'airstrike', 'armed clash', 'attack'],
      from: new Date(Date.parse(at.observedAt) - 120 * DAY).toISOString(),
      until: new Date(Date.parse(at.observedAt) + 120 * DAY).toISOString(),
      expectation: 'absence',
    };
    const expected = reports.filter((rep) => matchReportToScope(sc, rep)).length;
    matchedTotal += expected;
    const s = Date.now();
    const { id } = await post(svc.base, '/api/claims', pledgeBody(10_000 + k, sc));
    for (;;) {
      const v = await getJson(svc.base, `/api/claims/${id}`);
      if (v.evidence.filter((e) => e.attached !== false).length >= expected) break;
      if (Date.now() - s > 60_000) throw new Error(`pledge ${id} did not get its ${expected} matches within 60 s`);
      await sleep(10);
    }
    times.push(Date.now() - s);
  }
  for (const p of procs) await p.stop();
  times.sort((a, b) => a - b);
  const p99 = percentile(times, 99);
  log(`  new pledge → all matches attached: p50 ${percentile(times, 50)} ms, p99 ${p99} ms (20 pledges, ${fmt(matchedTotal)} matches in all, over ${fmt(view.accepted)} reports)`);
  results.figures.newPledge = { p50: percentile(times, 50), p99, times, matches: matchedTotal, reports: view.accepted };
  target(`new pledge over ${fmt(view.accepted)} reports matched ≤ 2 s (p99 of 20)`, p99 <= 2000, `p99 ${p99} ms`, '≤ 2,000 ms', `${fmt(matchedTotal)} matches`);

  // The indexed matcher against the plain scan, same scopes, same reports, same results.
  // 1,000 scopes (the pledges above, topped up with more of the same kind in the quick run).
  const mr = rng(991);
  const items = scopes.concat(Array.from({ length: Math.max(0, 1000 - scopes.length) }, (_, k) => scope(PLEDGES + k, mr))).map((sc, i) => ({ i, scope: sc }));
  const sample = reports.slice(0, QUICK ? 5_000 : 20_000);
  const index = new ScopeIndex(items);
  let plainHits = 0;
  let indexHits = 0;
  const p0 = process.hrtime.bigint();
  for (const rep of sample) plainHits += plainMatch(items, rep).length;
  const plainMs = Number(process.hrtime.bigint() - p0) / 1e6;
  const i0 = process.hrtime.bigint();
  for (const rep of sample) indexHits += index.match(rep).length;
  const indexMs = Number(process.hrtime.bigint() - i0) / 1e6;
  const speedup = plainMs / indexMs;
  log(`  matcher over ${fmt(items.length)} scopes × ${fmt(sample.length)} reports: plain ${plainMs.toFixed(0)} ms, indexed ${indexMs.toFixed(1)} ms (${speedup.toFixed(0)}×), ${plainHits} = ${indexHits} matches`);
  results.figures.matcher = { scopes: items.length, reports: sample.length, plainMs, indexMs, speedup, matches: indexHits };
  target('indexed matcher ≥ 20× plain scan (same results)', speedup >= 20 && plainHits === indexHits, `${speedup.toFixed(0)}×`, '≥ 20×', `${fmt(items.length)} scopes, ${fmt(sample.length)} reports`);
}

function tableRows(f, add, fmt) {
  if (f.import) add(`import: ${fmt(f.import.rows)} ACLED rows, ${fmt(f.import.pledges)} pledges`, `${fmt(f.import.rowsPerSecond)} rows/s, RSS ${f.import.peakRssMb} MB`, 'target 5,000 rows/s', '');
  if (f.newPledge) add(`import: new pledge over ${fmt(f.newPledge.reports)} reports`, `p50 ${f.newPledge.p50} / p99 ${f.newPledge.p99} ms`, `${fmt(f.newPledge.matches)} matches`, '');
  if (f.matcher) add(`import: indexed vs plain matcher`, `${f.matcher.indexMs.toFixed(1)} ms`, `plain ${f.matcher.plainMs.toFixed(0)} ms`, `${f.matcher.speedup.toFixed(0)}×`);
}

module.exports = { sectionImport, tableRows, writeFile };
