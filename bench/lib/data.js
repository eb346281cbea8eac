'use strict';
/**
 * Realistic, reproducible payloads for the bench: the shapes the API accepts and the ledger
 * stores (see src/claims/claim.dto.ts, src/evidence/evidence.dto.ts, src/ledger/event-catalogue.ts),
 * with sizes like a newsroom's: a few hundred characters of summary, a source, places, indicators.
 */
const { randomUUID } = require('node:crypto');

/** mulberry32: a tiny seeded PRNG, so every run generates the same mix. */
function rng(seed) {
  let a = seed >>> 0;
  return function next() {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const WORDS = (
  'the minister said that unemployment fell by four percent in the northern region last year while ' +
  'officials reported new water wells schools clinics roads and bridges opened near the border town ' +
  'witnesses satellite images local reporters and aid agencies described shelling convoys checkpoints ' +
  'displacement flooding harvest prices fuel shortages power cuts curfews arrests protests ceasefire'
).split(' ');
const PLACES = [
  ['Kharkiv', 49.99, 36.23], ['Mariupol', 47.1, 37.55], ['Aleppo', 36.2, 37.13], ['Goma', -1.68, 29.22],
  ['Mosul', 36.34, 43.13], ['Khartoum', 15.5, 32.56], ['Gaza City', 31.5, 34.47], ['Tigray', 14.03, 38.32],
  ['Idlib', 35.93, 36.63], ['Sana\'a', 15.37, 44.19], ['Bakhmut', 48.6, 38.0], ['Kherson', 46.64, 32.62],
];
const INDICATORS = ['shelling', 'airstrike', 'displacement', 'water', 'school', 'clinic', 'curfew', 'checkpoint', 'flooding', 'fuel'];
const PUBLISHERS = ['Reuters', 'AP', 'AFP', 'BBC', 'Al Jazeera', 'local-radio', 'Kyiv Independent', 'Ukrinform', 'OCHA', 'ACLED'];
const TOPICS = ['economy', 'security', 'health', 'education', 'infrastructure', 'elections', 'migration', 'climate'];
const SPEAKERS = ['Minister of Interior', 'Regional Governor', 'Army Spokesperson', 'Mayor of the city', 'Health Ministry', 'Opposition leader'];
const RELIABILITIES = ['A', 'B', 'C', 'D', 'E', 'F'];

function pick(r, list) {
  return list[Math.floor(r() * list.length)];
}

function sentence(r, minWords, maxWords) {
  const n = minWords + Math.floor(r() * (maxWords - minWords + 1));
  const out = [];
  for (let i = 0; i < n; i++) out.push(pick(r, WORDS));
  const s = out.join(' ');
  return s.charAt(0).toUpperCase() + s.slice(1) + '.';
}

function isoBetween(r, fromMs, spanMs) {
  return new Date(fromMs + Math.floor(r() * spanMs)).toISOString();
}

const BASE_MS = Date.parse('2025-01-01T00:00:00.000Z');
const YEAR_MS = 365 * 24 * 3600 * 1000;

function source(r) {
  const pub = pick(r, PUBLISHERS);
  return {
    url: `https://news.example.org/${pub.toLowerCase().replace(/[^a-z]+/g, '-')}/${Math.floor(r() * 1e9).toString(36)}`,
    publisher: pub,
    publishedAt: isoBetween(r, BASE_MS, YEAR_MS),
  };
}

function places(r, max, withRadius) {
  const n = 1 + Math.floor(r() * max);
  const out = [];
  for (let i = 0; i < n; i++) {
    const [name, lat, lon] = pick(r, PLACES);
    const p = { name, lat: +(lat + (r() - 0.5) / 10).toFixed(4), lon: +(lon + (r() - 0.5) / 10).toFixed(4) };
    if (withRadius) p.radiusKm = 5 + Math.floor(r() * 50);
    out.push(p);
  }
  return out;
}

function indicators(r, max) {
  const n = 1 + Math.floor(r() * max);
  const set = new Set();
  while (set.size < n) set.add(pick(r, INDICATORS));
  return [...set];
}

/** The body of POST /api/claims/:id/evidence (EvidenceDto). */
function evidenceBody(r) {
  return {
    stance: r() < 0.8 ? 'supports' : 'contradicts',
    summary: sentence(r, 30, 60),
    source: source(r),
    observedAt: isoBetween(r, BASE_MS, YEAR_MS / 2),
    reliability: pick(r, RELIABILITIES.slice(0, 3)),
    credibility: 1 + Math.floor(r() * 3),
    places: places(r, 2, false),
    indicators: indicators(r, 3),
  };
}

/** The body of POST /api/reports (a field report, no claimId, no stance). */
function reportBody(r) {
  const b = evidenceBody(r);
  delete b.stance;
  return b;
}

/** The body of POST /api/claims (CreateClaimDto); about a third are pledges with a scope. */
function claimBody(r, pledge = r() < 0.3) {
  const body = {
    kind: pledge ? 'pledge' : 'claim',
    statement: sentence(r, 15, 40),
    speaker: { name: pick(r, SPEAKERS), affiliation: pick(r, ['Government', 'Opposition', 'Military', 'City council']) },
    madeAt: isoBetween(r, BASE_MS, YEAR_MS),
    source: source(r),
    topics: [pick(r, TOPICS), pick(r, TOPICS)].filter((t, i, a) => a.indexOf(t) === i),
  };
  if (pledge) {
    body.scope = {
      places: places(r, 2, true),
      indicators: indicators(r, 2),
      from: isoBetween(r, BASE_MS, YEAR_MS / 2),
      expectation: r() < 0.5 ? 'absence' : 'presence',
    };
  }
  return body;
}

/** EvidenceSubmitted data as the service stores it (toEvidenceData: claimId first, no undefined). */
function evidenceData(r, claimId) {
  const b = evidenceBody(r);
  return { claimId, ...b };
}

/** ClaimRecorded data as the service stores it (toClaimData: scope explicit, null for plain claims). */
function claimData(r, pledge) {
  const b = claimBody(r, pledge);
  return { kind: b.kind, statement: b.statement, speaker: b.speaker, madeAt: b.madeAt, source: b.source, topics: b.topics, scope: b.scope ?? null };
}

/** Metadata of an event caused by an API request. */
function requestMetadata(correlationId = randomUUID()) {
  return {
    actor: { kind: 'api-key', id: '00000000-0000-4000-8000-000000000000', name: 'ADMIN_API_KEY', role: 'admin' },
    correlationId,
    causationId: null,
  };
}

function workerMetadata(correlationId, causationPosition) {
  return { actor: { kind: 'system', name: 'verification-worker' }, correlationId, causationId: String(causationPosition) };
}

module.exports = {
  rng, pick, evidenceBody, reportBody, claimBody, evidenceData, claimData, requestMetadata, workerMetadata, BASE_MS,
};
