#!/usr/bin/env node
/*
 * npm run demo — records the seed article's scenario against a running claim-ledger and prints
 * each claim's verification status as it changes.
 *
 *   BASE_URL  the service (default http://localhost:3000)
 *   API_KEY   an admin or checker key (required)
 *   DEMO_TIMEOUT_MS  how long to wait for each status change (default 30000)
 *   DEMO_POLL_MS     how often to poll the claims (default 200)
 *
 * Source: "Kremlin Sees No Breakthroughs at Ukraine Talks", The Moscow Times, 30 March 2022.
 * The claims are quoted from the article. The two field reports of shelling near Chernihiv are
 * illustrative: the first stands for the local officials the article mentions (its URL is a
 * placeholder under example.org), the second is the article itself. They come from two
 * different publishers, so verdict-v1 counts them as independent.
 *
 * Plain Node 20 (global fetch), no dependencies, no build step.
 */
'use strict';

const BASE_URL = (process.env.BASE_URL || 'http://localhost:3000').replace(/\/+$/, '');
const API_KEY = process.env.API_KEY || '';
const TIMEOUT_MS = positiveInt(process.env.DEMO_TIMEOUT_MS, 30000);
const POLL_MS = positiveInt(process.env.DEMO_POLL_MS, 200);

const ARTICLE_URL = 'https://www.themoscowtimes.com/2022/03/30/kremlin-sees-no-breakthroughs-at-ukraine-talks-a77146';
const ARTICLE = { url: ARTICLE_URL, publisher: 'The Moscow Times', publishedAt: '2022-03-30T12:00:00+03:00' };
// The Istanbul round ended on Tuesday, 29 March 2022; the pledge was announced after it.
const PLEDGE_MADE_AT = '2022-03-29T17:00:00+03:00';

const KYIV = { name: 'Kyiv', lat: 50.4501, lon: 30.5234 };
const CHERNIHIV = { name: 'Chernihiv', lat: 51.4982, lon: 31.2893 };

const CLAIMS = [
  {
    label: 'pledge',
    body: {
      kind: 'pledge',
      statement: 'Russia will "radically reduce military activity" near Kyiv and the northern city of Chernihiv.',
      // The article attributes the pledge to "Russian negotiators", not to one person.
      speaker: { name: 'Russian negotiators', affiliation: 'Russian delegation at the Istanbul talks' },
      madeAt: PLEDGE_MADE_AT,
      source: ARTICLE,
      topics: ['Russia-Ukraine war', 'peace talks'],
      scope: {
        places: [
          { ...KYIV, radiusKm: 40 },
          { ...CHERNIHIV, radiusKm: 30 },
        ],
        indicators: ['shelling', 'airstrike', 'missile strike', 'ground assault'],
        from: PLEDGE_MADE_AT,
        expectation: 'absence',
      },
    },
  },
  {
    label: 'crimea',
    body: {
      kind: 'claim',
      statement: "We won't invade Crimea, it's part of Russia.",
      speaker: { name: 'Dmitry Peskov', affiliation: 'Kremlin spokesman' },
      madeAt: '2022-03-30T12:00:00+03:00',
      source: ARTICLE,
      topics: ['Crimea', 'peace talks'],
    },
  },
  {
    label: 'no breakthroughs',
    body: {
      kind: 'claim',
      statement: "We can't state anything very promising or any breakthroughs. There's still a very, very long way to go.",
      speaker: { name: 'Dmitry Peskov', affiliation: 'Kremlin spokesman' },
      madeAt: '2022-03-30T12:00:00+03:00',
      source: { ...ARTICLE, publisher: 'The Moscow Times (quoting TASS)' },
      topics: ['peace talks'],
    },
  },
];

const REPORTS = [
  {
    label: 'report 1 (local officials, graded A1)',
    expect: 'contradicted',
    body: {
      summary: 'Local officials report heavy shelling of Chernihiv overnight, after the pledge to reduce military activity there.',
      source: { url: 'https://example.org/demo/chernihiv-regional-administration/2022-03-30', publisher: 'Chernihiv Regional Military Administration' },
      observedAt: '2022-03-30T02:00:00+03:00',
      reliability: 'A',
      credibility: 1,
      places: [CHERNIHIV],
      indicators: ['shelling'],
    },
  },
  {
    label: 'report 2 (The Moscow Times, graded B2)',
    expect: 'refuted',
    body: {
      summary: "Local officials reported heavy shelling near Chernihiv well after Tuesday's announcement.",
      source: ARTICLE,
      observedAt: '2022-03-30T09:00:00+03:00',
      reliability: 'B',
      credibility: 2,
      places: [{ name: 'Chernihiv' }],
      indicators: ['Shelling'],
    },
  },
];

function positiveInt(value, fallback) {
  const n = Number(value);
  return Number.isInteger(n) && n > 0 ? n : fallback;
}

const started = Date.now();
const stamp = () => `+${((Date.now() - started) / 1000).toFixed(2)}s`;
const say = (line) => process.stdout.write(`${line}\n`);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function api(method, path, body) {
  let res;
  try {
    res = await fetch(`${BASE_URL}${path}`, {
      method,
      headers: { authorization: `Bearer ${API_KEY}`, accept: 'application/json', ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
  } catch (err) {
    throw new Error(`cannot reach ${BASE_URL} (${(err.cause && err.cause.code) || err.message}); is the service running?`);
  }
  const text = await res.text();
  let json = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    /* not JSON: reported below */
  }
  if (!res.ok) {
    const detail = json && (json.detail || json.title) ? `${json.title || ''}: ${json.detail || ''}` : text.slice(0, 300);
    throw new Error(`${method} ${path} answered ${res.status} ${detail}`);
  }
  return json;
}

const short = (s, n = 60) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

function describeVerdict(v) {
  return `S ${v.support}, X ${v.contradict}, basis ${v.basis.length} piece${v.basis.length === 1 ? '' : 's'}`;
}

/** How far the pledge's story has got: a report never moves it back. */
const RANK = { unverified: 0, contradicted: 1, refuted: 2 };

/** Polls until no claim's version has moved for a second (the pledge-match job has run). */
async function settle(claims, last) {
  let previous = '';
  let stableSince = Date.now();
  return watch(claims, last, (views) => {
    const versions = claims.map((c) => views[c.label].version).join(',');
    if (versions !== previous) {
      previous = versions;
      stableSince = Date.now();
    }
    return Date.now() - stableSince >= 1000;
  }, 'the new claims to settle');
}

/** Polls every claim, prints each status change, until `done(views)` holds or the deadline passes. */
async function watch(claims, last, done, what) {
  const deadline = Date.now() + TIMEOUT_MS;
  for (;;) {
    const views = {};
    for (const c of claims) {
      const view = await api('GET', `/api/claims/${c.id}`);
      views[c.label] = view;
      if (view.status !== last[c.label]) {
        say(`${stamp()}  ${c.label} (${short(view.statement, 80)}): ${last[c.label]} → ${view.status} (${describeVerdict(view.verdict)})`);
        last[c.label] = view.status;
      }
    }
    if (done(views)) return views;
    if (Date.now() > deadline) throw new Error(`timed out after ${TIMEOUT_MS} ms waiting for ${what}`);
    await sleep(POLL_MS);
  }
}

async function main() {
  if (!API_KEY) {
    process.stderr.write('API_KEY is required (an admin or checker key): API_KEY=... npm run demo\n');
    process.exit(2);
  }
  say(`claim-ledger demo against ${BASE_URL}`);
  say(`source: ${ARTICLE_URL}`);
  say('');

  const claims = [];
  for (const c of CLAIMS) {
    const created = await api('POST', '/api/claims', c.body);
    claims.push({ label: c.label, id: created.id });
    say(`${stamp()}  recorded ${c.label} ${created.id} (${c.body.kind} by ${c.body.speaker.name}): ${short(c.body.statement, 90)}`);
  }
  const last = Object.fromEntries(claims.map((c) => [c.label, 'unverified']));
  // The matcher also attaches reports already in the ledger (from the README's "Try it", an
  // earlier run, other users): wait until the new pledge has settled, and say what it found.
  const settled = await settle(claims, last);
  const earlier = settled.pledge.evidence.filter((e) => e.attached);
  if (earlier.length > 0) {
    const one = earlier.length === 1;
    say(`${stamp()}  ${earlier.length} report${one ? '' : 's'} already in the ledger ${one ? 'matches' : 'match'} the pledge's scope and ${one ? 'is' : 'are'} attached: it starts ${settled.pledge.status}`);
  }
  say('');

  for (const r of REPORTS) {
    const accepted = await api('POST', '/api/reports', r.body);
    say(`${stamp()}  sent ${r.label}: evidence ${accepted.evidenceId} at position ${accepted.position}`);
    // This report attached, and the pledge at least as far as this report takes it on its own story.
    await watch(
      claims,
      last,
      (views) => views.pledge.evidence.some((e) => e.evidenceId === accepted.evidenceId) && RANK[views.pledge.status] >= RANK[r.expect],
      `the pledge to take the report and become ${r.expect}`,
    );
    const ev = await api('GET', `/api/evidence/${accepted.evidenceId}`);
    const where = ev.attachedTo.filter((a) => a.attached).map((a) => claims.find((c) => c.id === a.claimId)?.label || a.claimId);
    say(`${stamp()}  ${r.label} is attached to: ${where.join(', ') || 'nothing'}`);
  }

  say('');
  say('final statuses:');
  for (const c of claims) {
    const view = await api('GET', `/api/claims/${c.id}`);
    const trail = view.statusHistory.map((h) => h.status).join(' → ');
    say(`  ${c.label.padEnd(17)} ${view.status.padEnd(13)} ${trail}  (${describeVerdict(view.verdict)})`);
    say(`  ${''.padEnd(17)} ${BASE_URL}/api/claims/${c.id}`);
  }
  const verify = await api('GET', '/api/ledger/verify');
  say(`ledger: ${verify.ok ? 'chain verifies' : `DAMAGED at position ${verify.firstBadPosition}`} (${verify.checked} events checked)`);
  if (last.pledge !== 'refuted') process.exitCode = 1;
}

main().catch((err) => {
  process.stderr.write(`demo failed: ${err.message}\n`);
  process.exit(1);
});
