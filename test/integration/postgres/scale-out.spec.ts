import { spawn, type ChildProcess } from 'node:child_process';
import { assertFreshBuild } from '../../support/build';
import { createHash } from 'node:crypto';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { Client } from 'pg';
import { TEST_REDIS_URL, deleteKeysWithPrefix, uniquePrefix } from '../../support/redis';
import { TEST_PG_URL, dropSchema, uniqueSchema } from '../../support/postgres';

/**
 * Scale-out on PostgreSQL: two API processes and two worker processes on one database and one
 * Redis. Under concurrent writes to both APIs the log stays one gap-free, verifying chain, and
 * every report is attached to the pledge exactly once.
 */
const ROOT = join(__dirname, '..', '..', '..');
const ADMIN = 'scale-out-admin-key-0123456789';
const schema = uniqueSchema('scale');
const prefix = uniquePrefix('scale');
const procs: ChildProcess[] = [];

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}

function start(script: 'main.js' | 'worker.js', env: Record<string, string>): ChildProcess {
  assertFreshBuild(script);
  const child = spawn(process.execPath, [join(ROOT, 'dist', script)], {
    env: {
      ...process.env,
      DATABASE_URL: TEST_PG_URL,
      DATABASE_SCHEMA: schema,
      REDIS_URL: TEST_REDIS_URL,
      QUEUE_PREFIX: prefix,
      ADMIN_API_KEY: ADMIN,
      LOG_LEVEL: 'warn',
      POLL_INTERVAL_MS: '50',
      ...env,
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  child.stderr?.on('data', (d) => process.stderr.write(`[${script}] ${d}`));
  procs.push(child);
  return child;
}

async function api(port: number, method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(`http://127.0.0.1:${port}${path}`, {
    method,
    headers: { authorization: `Bearer ${ADMIN}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

async function waitUntil<T>(what: string, probe: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  for (;;) {
    try {
      last = await probe();
      if (ok(last)) return last;
    } catch {
      /* not up yet */
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last: ${JSON.stringify(last)?.slice(0, 500)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** An independent canonical JSON (sorted keys, JSON.stringify for scalars) to recompute hashes. */
function canon(v: unknown): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(canon).join(',')}]`;
  const o = v as Record<string, unknown>;
  return `{${Object.keys(o)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${canon(o[k])}`)
    .join(',')}}`;
}

const pledge = {
  kind: 'pledge',
  statement: 'Russia will radically reduce military activity near Kyiv and Chernihiv',
  speaker: { name: 'Vladimir Medinsky' },
  madeAt: '2022-03-29T17:00:00+03:00',
  source: { url: 'https://www.themoscowtimes.com/2022/03/30/kremlin-sees-no-breakthroughs-at-ukraine-talks-a77146' },
  scope: {
    places: [{ name: 'Chernihiv', lat: 51.4982, lon: 31.2893 }],
    indicators: ['shelling'],
    from: '2022-03-29T17:00:00+03:00',
    expectation: 'absence',
  },
};

const report = (i: number) => ({
  summary: `Shelling reported in Chernihiv, report ${i}`,
  source: { url: `https://publisher-${i % 7}.example.org/r/${i}` },
  observedAt: '2022-03-30T03:00:00+03:00',
  reliability: 'C',
  credibility: 3,
  places: [{ name: 'Chernihiv' }],
  indicators: ['shelling'],
});

describe('PostgreSQL scale-out: two API processes and two workers', () => {
  let ports: number[] = [];

  beforeAll(async () => {
    ports = [await freePort(), await freePort()];
    // The first API migrates the schema; the second starts once it answers.
    start('main.js', { PORT: String(ports[0]), RUN_WORKERS: 'false' });
    await waitUntil('API 1', () => api(ports[0], 'GET', '/api/ledger/verify'), (r) => r.status === 200);
    start('main.js', { PORT: String(ports[1]), RUN_WORKERS: 'false' });
    start('worker.js', {});
    start('worker.js', {});
    await waitUntil('API 2', () => api(ports[1], 'GET', '/api/ledger/verify'), (r) => r.status === 200);
  }, 60_000);

  afterAll(async () => {
    await Promise.all(
      procs.map(
        (p) =>
          new Promise<void>((resolve) => {
            if (p.exitCode !== null || p.signalCode !== null) return resolve();
            p.once('exit', () => resolve());
            p.kill('SIGTERM');
            setTimeout(() => p.kill('SIGKILL'), 10_000).unref();
          }),
      ),
    );
    await dropSchema(schema);
    await deleteKeysWithPrefix(prefix);
  }, 30_000);

  it('keeps one gap-free, verifying chain and attaches every report once under concurrent writes', async () => {
    const created = await api(ports[0], 'POST', '/api/claims', pledge);
    expect(created.status).toBe(201);
    const pledgeId = created.body.id as string;

    // 60 reports and 40 plain claims, spread over both APIs, all at once.
    const writes: Array<Promise<{ status: number; body: any }>> = [];
    for (let i = 0; i < 60; i++) writes.push(api(ports[i % 2], 'POST', '/api/reports', report(i)));
    for (let i = 0; i < 40; i++) {
      writes.push(
        api(ports[(i + 1) % 2], 'POST', '/api/claims', {
          kind: 'claim',
          statement: `We won't invade Crimea (${i})`,
          speaker: { name: 'Dmitry Peskov' },
          madeAt: '2022-03-30T12:00:00+03:00',
          source: { url: 'https://www.themoscowtimes.com/x' },
        }),
      );
    }
    const answers = await Promise.all(writes);
    expect(answers.filter((a) => a.status >= 300).map((a) => a.status)).toEqual([]);
    const reportIds = new Set(answers.slice(0, 60).map((a) => a.body.evidenceId as string));

    // Every report ends up attached to the pledge; 7 publishers → refuted.
    const view = await waitUntil(
      'all 60 reports attached',
      () => api(ports[1], 'GET', `/api/claims/${pledgeId}`),
      (r) => r.status === 200 && r.body.evidence.length === 60,
      60_000,
    );
    expect(view.body.status).toBe('refuted');

    // The feed, read through the other API, is one chain: positions 1..N, hashes recompute.
    const events: any[] = [];
    for (let after = 0; ; ) {
      const page = await api(ports[0], 'GET', `/api/events?after=${after}&limit=500`);
      events.push(...page.body.items);
      if (page.body.items.length < 500) break;
      after = page.body.items[page.body.items.length - 1].position;
    }
    let prev = '0'.repeat(64);
    events.forEach((e, i) => {
      expect(e.position).toBe(i + 1);
      expect(e.prevHash).toBe(prev);
      const { hash, ...rest } = e;
      expect(createHash('sha256').update(canon(rest)).digest('hex')).toBe(hash);
      prev = hash;
    });
    const attached = events.filter((e) => e.type === 'EvidenceAttached' && e.streamId === `claim-${pledgeId}`);
    expect(attached).toHaveLength(60);
    expect(new Set(attached.map((e) => e.data.evidenceId))).toEqual(reportIds);

    const verify = await api(ports[1], 'GET', '/api/ledger/verify');
    expect(verify.body).toMatchObject({ ok: true, checked: events.length });

    // And the database itself agrees: no gaps, no duplicate stream versions.
    const client = new Client({ connectionString: TEST_PG_URL });
    await client.connect();
    try {
      const r = await client.query(`SELECT COUNT(*)::int AS n, MIN(position) AS lo, MAX(position) AS hi FROM "${schema}".events`);
      expect(r.rows[0]).toEqual({ n: events.length, lo: 1, hi: events.length });
    } finally {
      await client.end();
    }
  }, 120_000);
});
