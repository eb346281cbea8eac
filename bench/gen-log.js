'use strict';
/**
 * Writes a realistic, valid, hash-chained ledger of N events straight into a migrated SQLite
 * file (multi-row INSERTs, big transactions): what months of a newsroom's use leave behind.
 *
 *   node bench/gen-log.js --db <file> --events 1000000
 *
 * The mix follows the service's own flows: claims and pledges (with a scope), evidence sent for
 * a claim and attached to it by a job, field reports matched to pledges, the status changes
 * verdict-v1 records (its own computeVerdict), and the occasional retraction with its detachments. Streams
 * interleave as they do live (a job attaches a piece a little after it was submitted). The
 * chain is computed with the service's own canonical JSON and hash (dist/ledger), so
 * verifyChain must pass over it, and the job dispatcher's checkpoint is set to the head, as on
 * a system that has handed over all its jobs. Prints one JSON line with the counts.
 */
const { randomUUID } = require('node:crypto');
const { execFileSync } = require('node:child_process');
const path = require('node:path');
const { parseArgs } = require('node:util');
const sqlite3 = require('sqlite3');
const { dist } = require('./lib/common');
const data = require('./lib/data');

const { values: opt } = parseArgs({
  options: { db: { type: 'string' }, events: { type: 'string', default: '1000000' }, seed: { type: 'string', default: '7' } },
});
const TARGET = Number(opt.events);
const { canonicalize } = dist('ledger/canonical-json');
const { eventHash, GENESIS_HASH } = dist('ledger/hash-chain');
const { computeVerdict } = dist('domain/verdict');

const ROWS_PER_INSERT = 1000;
const ROWS_PER_TX = 50_000;

function open(file) {
  return new Promise((resolve, reject) => {
    const db = new sqlite3.Database(file, (err) => (err ? reject(err) : resolve(db)));
  });
}

/**
 * The bulky payloads (claims, evidence, reports, metadata) come from pools of a few thousand
 * distinct bodies, canonicalised once; per event only the ids are spliced in. Canonical JSON
 * sorts keys, so "claimId" leads an evidence body and "correlationId" ends the metadata: the
 * splice gives exactly canonicalize() of the object (checked below for a sample).
 */
function canonicalTemplates(r) {
  const POOL = 4096;
  const ID = '00000000-0000-4000-8000-00000000abcd';
  const evidence = Array.from({ length: POOL }, () => {
    const d = data.evidenceData(r, ID);
    const text = canonicalize(d);
    const head = `{"claimId":"${ID}"`;
    if (!text.startsWith(head)) throw new Error('evidence template: claimId is not the first key');
    return { rest: text.slice(head.length), stance: d.stance };
  });
  const reports = Array.from({ length: POOL }, () => canonicalize({ claimId: null, ...data.reportBody(r) }));
  const claims = Array.from({ length: POOL }, () => canonicalize(data.claimData(r, false)));
  const pledges = Array.from({ length: POOL }, () => canonicalize(data.claimData(r, true)));
  const reqMeta = canonicalize(data.requestMetadata(ID)).split(ID);
  const workerMeta = canonicalize(data.workerMetadata(ID, 987654321)).split(ID);
  const workerCause = workerMeta[0].split('987654321');
  let k = 0;
  const t = {
    evidence(claimId) {
      const e = evidence[k++ % POOL];
      return { json: `{"claimId":${JSON.stringify(claimId)}${e.rest}`, stance: e.stance };
    },
    report: () => reports[k++ % POOL],
    claim: (pledge) => (pledge ? pledges : claims)[k++ % POOL],
    requestMetadata: (correlationId) => reqMeta[0] + correlationId + reqMeta[1],
    workerMetadata: (correlationId, cause) => workerCause[0] + String(cause) + workerCause[1] + correlationId + workerMeta[1],
  };
  const id = randomUUID();
  const checks = [
    [t.requestMetadata(id), data.requestMetadata(id)],
    [t.workerMetadata(id, 42), data.workerMetadata(id, 42)],
  ];
  for (const [text, obj] of checks) if (text !== canonicalize(obj)) throw new Error(`template is not canonical: ${text}`);
  const ev = t.evidence(id);
  if (ev.json !== canonicalize(JSON.parse(ev.json))) throw new Error('evidence template is not canonical');
  return t;
}

async function main() {
  execFileSync(process.execPath, [path.join(__dirname, 'lib', 'migrate.js'), opt.db], { stdio: 'inherit' });
  const db = await open(opt.db);
  const exec = (sql) => new Promise((res, rej) => db.exec(sql, (e) => (e ? rej(e) : res())));
  const run = (sql, params) => new Promise((res, rej) => db.run(sql, params, (e) => (e ? rej(e) : res())));
  await exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = OFF; PRAGMA cache_size = -65536;');
  // The log's insert triggers (append-only guards) check every row against the table; the
  // generator's rows are new by construction, so they are set aside while it writes and put back
  // exactly as the migration made them.
  const triggers = await new Promise((res, rej) =>
    db.all(`SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'events' AND sql LIKE '%BEFORE INSERT%'`, (e, rows) => (e ? rej(e) : res(rows))),
  );
  for (const t of triggers) await exec(`DROP TRIGGER ${t.name}`);

  const r = data.rng(Number(opt.seed));
  const canon = canonicalTemplates(r);
  const started = Date.now();
  let position = 0;
  let prevHash = GENESIS_HASH;
  let clockMs = Date.now() - 90 * 24 * 3600 * 1000; // three months of history, ending about now
  const stepMs = (90 * 24 * 3600 * 1000) / TARGET;
  const counts = {};
  let pending = [];
  let inTx = 0;
  let claims = 0;
  let pledges = 0;

  const insertSql = (n) =>
    `INSERT INTO events (position, stream_id, stream_version, type, data, metadata, recorded_at, prev_hash, hash) VALUES ${new Array(n).fill('(?,?,?,?,?,?,?,?,?)').join(',')}`;
  const fullSql = insertSql(ROWS_PER_INSERT);

  async function flush(force) {
    while (pending.length >= ROWS_PER_INSERT || (force && pending.length > 0)) {
      const chunk = pending.splice(0, ROWS_PER_INSERT);
      if (inTx === 0) await exec('BEGIN');
      await run(chunk.length === ROWS_PER_INSERT ? fullSql : insertSql(chunk.length), chunk.flat());
      inTx += chunk.length;
      if (inTx >= ROWS_PER_TX || force) {
        await exec('COMMIT');
        inTx = 0;
      }
    }
  }

  const streams = new Map(); // streamId -> version
  /** dataJson and metadataJson are canonical JSON text already (see canonicalTemplates). */
  function emit(streamId, type, dataJson, metadataJson) {
    if (position >= TARGET) return; // exactly TARGET events; a flow cut short at the end is still valid
    position++;
    clockMs += stepMs * (0.5 + r());
    const version = (streams.get(streamId) ?? 0) + 1;
    streams.set(streamId, version);
    const row = {
      position,
      streamId,
      streamVersion: version,
      type,
      dataJson,
      metadataJson,
      recordedAt: new Date(Math.floor(clockMs)).toISOString(),
      prevHash,
    };
    const hash = eventHash(row);
    pending.push([row.position, row.streamId, row.streamVersion, row.type, row.dataJson, row.metadataJson, row.recordedAt, row.prevHash, hash]);
    prevHash = hash;
    counts[type] = (counts[type] ?? 0) + 1;
  }

  const active = []; // recent claims that still get evidence
  const ACTIVE = 2000;
  const attachQueue = []; // evidence waiting for its attach job
  const reports = []; // recent field reports
  const attachedEvidence = []; // [claim, evidenceId] pairs that a retraction may hit
  const evidenceClaims = new Map(); // evidenceId -> claims it is attached to

  // Each piece's facts, for verdict-v1 over what is attached (the service's own rule, so that
  // verify-log's recomputation of every status change holds on this log too).
  const facts = new Map(); // evidenceId -> {reliability, credibility, source}
  function keepFacts(evidenceId, json) {
    const d = JSON.parse(json);
    facts.set(evidenceId, { reliability: d.reliability, credibility: d.credibility, source: d.source });
  }

  function recompute(c, correlationId, cause) {
    const used = [...c.attached].map(([evidenceId, stance]) => ({ ...facts.get(evidenceId), evidenceId, stance }));
    const v = computeVerdict(used);
    if (v.status === c.status) return;
    emit(`claim-${c.id}`, 'VerificationStatusChanged', canonicalize({
      from: c.status, to: v.status, support: v.support, contradict: v.contradict, basis: v.basis, rule: v.rule,
    }), canon.workerMetadata(correlationId, cause));
    c.status = v.status;
  }

  function attach(c, evidenceId, stance, by, correlationId, cause, rule) {
    if (c.attached.has(evidenceId)) return;
    c.attached.set(evidenceId, stance);
    emit(`claim-${c.id}`, 'EvidenceAttached', canonicalize(rule ? { evidenceId, stance, attachedBy: by, rule } : { evidenceId, stance, attachedBy: by }), canon.workerMetadata(correlationId, cause));
    recompute(c, correlationId, cause);
    attachedEvidence.push([c, evidenceId]);
    if (!evidenceClaims.has(evidenceId)) evidenceClaims.set(evidenceId, []);
    evidenceClaims.get(evidenceId).push(c);
  }

  while (position < TARGET) {
    const roll = r();
    // about 10% ClaimRecorded overall (100k claims in 1M events), 30% of them pledges
    if (roll < 0.185 || active.length < 50) {
      const pledge = r() < 0.3;
      const c = { id: randomUUID(), status: 'unverified', attached: new Map(), pledge };
      emit(`claim-${c.id}`, 'ClaimRecorded', canon.claim(pledge), canon.requestMetadata(randomUUID()));
      claims++;
      if (pledge) pledges++;
      active.push(c);
      if (active.length > ACTIVE) active.splice(Math.floor(r() * 100), 1);
    } else if (roll < 0.75) {
      const c = active[Math.floor(r() * active.length)];
      const evidenceId = randomUUID();
      const correlationId = randomUUID();
      const d = canon.evidence(c.id);
      emit(`evidence-${evidenceId}`, 'EvidenceSubmitted', d.json, canon.requestMetadata(correlationId));
      keepFacts(evidenceId, d.json);
      attachQueue.push({ c, evidenceId, stance: d.stance, correlationId, cause: position });
    } else if (roll < 0.8) {
      const evidenceId = randomUUID();
      const correlationId = randomUUID();
      const reportJson = canon.report();
      emit(`evidence-${evidenceId}`, 'EvidenceSubmitted', reportJson, canon.requestMetadata(correlationId));
      keepFacts(evidenceId, reportJson);
      const cause = position;
      // the matcher attaches a report to the pledges whose scope it matches (about a third of the time one)
      if (r() < 0.35) {
        const pledgesNow = active.filter((x) => x.pledge);
        const p = pledgesNow[Math.floor(r() * pledgesNow.length)];
        if (p) attach(p, evidenceId, r() < 0.5 ? 'supports' : 'contradicts', 'matcher', correlationId, cause, { name: 'scope-match-v1', place: 'Kharkiv', indicator: 'shelling', by: 'distance', distanceKm: 3.2 });
      }
      reports.push(evidenceId);
    } else if (roll < 0.82 && attachedEvidence.length > 0) {
      const k = Math.floor(r() * attachedEvidence.length);
      const [, evidenceId] = attachedEvidence[k];
      attachedEvidence.splice(k, 1);
      const hit = evidenceClaims.get(evidenceId) ?? [];
      evidenceClaims.delete(evidenceId);
      const correlationId = randomUUID();
      emit(`evidence-${evidenceId}`, 'EvidenceRetracted', canonicalize({ reason: 'the source withdrew the report' }), canon.requestMetadata(correlationId));
      const cause = position;
      for (const c of hit) {
        if (!c.attached.has(evidenceId)) continue;
        c.attached.delete(evidenceId);
        emit(`claim-${c.id}`, 'EvidenceDetached', canonicalize({ evidenceId, reason: 'retracted' }), canon.workerMetadata(correlationId, cause));
        recompute(c, correlationId, cause);
      }
    }
    // jobs run a little behind the submissions
    while (attachQueue.length > 3 || (attachQueue.length > 0 && r() < 0.3)) {
      const j = attachQueue.shift();
      attach(j.c, j.evidenceId, j.stance, 'checker', j.correlationId, j.cause);
    }
    if (attachedEvidence.length > 20_000) attachedEvidence.splice(0, 10_000);
    if (reports.length > 1000) reports.splice(0, 500);
    if (pending.length >= ROWS_PER_INSERT) await flush(false);
    if (position % 200_000 < 1 && position > 0) process.stdout.write(`  generated ${position} events\n`);
  }
  await flush(true);
  if (inTx > 0) await exec('COMMIT');
  await run(
    `INSERT INTO checkpoints (name, position, updated_at) VALUES ('job-dispatcher', ?, ?)
     ON CONFLICT (name) DO UPDATE SET position = excluded.position, updated_at = excluded.updated_at`,
    [position, new Date().toISOString()],
  );
  for (const t of triggers) await exec(t.sql);
  await exec('PRAGMA wal_checkpoint(TRUNCATE)');
  await new Promise((res) => db.close(() => res()));
  const ms = Date.now() - started;
  process.stdout.write(JSON.stringify({ events: position, claims, pledges, counts, ms, eventsPerSecond: Math.round((position * 1000) / ms) }) + '\n');
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
