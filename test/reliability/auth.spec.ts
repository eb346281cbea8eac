import { readFileSync, existsSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { hashKey } from '../../src/auth/api-keys.service';
import { crimeaClaimBody, evidenceBody, reportBody } from '../support/app';
import { Client, expectStatus, isProblem, seen, type HttpAnswer } from './support/client';
import { feed, until, verify } from './support/ledger';
import { ServiceProcess, tempDir } from './support/service';
import { note, writeSummary } from './support/summary';

/**
 * Auth against `node dist/main.js` started WITHOUT ADMIN_API_KEY (it makes an admin key and
 * prints it once), logging at debug level: every route × {no key, bad key, unknown well-formed
 * key, revoked key, viewer, checker, admin} answers what the contract says; refusals write
 * nothing; and no key ever shows up again after its creation answer — not in the process's
 * output, the events, later answers, or the SQLite file.
 */

jest.setTimeout(120_000);

type Access = 'public' | 'read' | 'viewer' | 'checker' | 'admin';
type Cred = 'none' | 'bad' | 'unknown' | 'revoked' | 'viewer' | 'checker' | 'admin';
const CREDS: Cred[] = ['none', 'bad', 'unknown', 'revoked', 'viewer', 'checker', 'admin'];
const RANK: Record<string, number> = { viewer: 1, checker: 2, admin: 3 };

interface Route {
  method: 'GET' | 'POST' | 'DELETE';
  path: string;
  access: Access;
  /** Fresh path and body per attempt (a retraction or a revocation can succeed only once). */
  make?: () => Promise<{ path?: string; body?: unknown }>;
  body?: unknown;
  ok: number;
  stream?: boolean;
}

const dir = tempDir('auth');
let service: ServiceProcess;
let anon: Client;
let admin: Client;
let generatedAdminKey: string;
const keys: Record<string, string> = {};
const answers: HttpAnswer[] = [];

afterAll(async () => {
  anon?.close();
  admin?.close();
  await service?.stop();
  dir.remove();
  writeSummary(__filename);
  expect(seen.serverErrors).toEqual([]);
});

/** GET on the SSE stream: the status and headers, then hang up (a 200 never ends by itself). */
function openStream(base: string, path: string, key: string | null): Promise<{ status: number; text: string; contentType: string }> {
  const url = new URL(path, base);
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: url.hostname, port: url.port, path: url.pathname + url.search, headers: key ? { authorization: `Bearer ${key}` } : {} }, (res) => {
      const status = res.statusCode ?? 0;
      const contentType = String(res.headers['content-type'] ?? '');
      if (status === 200) {
        res.destroy();
        resolve({ status, text: '', contentType });
        return;
      }
      let text = '';
      res.on('data', (c) => (text += c));
      res.on('end', () => resolve({ status, text, contentType }));
    });
    req.setTimeout(10_000, () => req.destroy(new Error('stream request timed out')));
    req.on('error', reject);
    req.end();
  });
}

function keyFor(cred: Cred): string | null {
  switch (cred) {
    case 'none':
      return null;
    case 'bad':
      return 'not-a-key';
    case 'unknown':
      return `clk_${'ab'.repeat(16)}_${'A'.repeat(43)}`;
    default:
      return keys[cred];
  }
}

function expected(route: Route, cred: Cred): number {
  if (route.access === 'public') return route.ok;
  if (cred === 'none' || cred === 'bad' || cred === 'unknown' || cred === 'revoked') return 401;
  const needed = route.access === 'read' ? 'viewer' : route.access;
  return RANK[cred] >= RANK[needed] ? route.ok : 403;
}

describe('auth matrix against the real service', () => {
  let routes: Route[];
  let claimId: string;
  let ratedClaimId: string;
  let evidenceId: string;

  beforeAll(async () => {
    // The matrix sends hundreds of bad keys from one address to check each 401: the per-address
    // failed-authentication limit (429 past it) is off here and tested in shared-limits / proxy-and-guessing.
    service = await ServiceProcess.start({ dbPath: dir.file(), adminKey: null, logLevel: 'debug', env: { AUTH_FAILURES_PER_MINUTE: '0' } });
    await service.waitForOutput(/clk_[0-9a-f]{32}_[A-Za-z0-9_-]{43}/);
    generatedAdminKey = /clk_[0-9a-f]{32}_[A-Za-z0-9_-]{43}/.exec(service.output())![0];
    anon = new Client(service.base, null);
    admin = new Client(service.base, generatedAdminKey);
    keys.admin = generatedAdminKey;
    for (const role of ['viewer', 'checker', 'revoked'] as const) {
      const res = expectStatus(await admin.post('/api/api-keys', { name: `${role} key`, role: role === 'revoked' ? 'checker' : role }), 201);
      keys[role] = res.body.key;
      if (role === 'revoked') expectStatus(await admin.delete(`/api/api-keys/${res.body.id}`), 204);
    }
    claimId = expectStatus(await admin.post('/api/claims', crimeaClaimBody()), 201).body.id;
    ratedClaimId = expectStatus(await admin.post('/api/claims', crimeaClaimBody({ statement: 'A rated claim' })), 201).body.id;
    evidenceId = expectStatus(await admin.post(`/api/claims/${ratedClaimId}/evidence`, evidenceBody()), 202).body.evidenceId;
    const spareKeyId = expectStatus(await admin.post('/api/api-keys', { name: 'spare', role: 'viewer' }), 201).body.id as string;
    await until('the rated claim to be rated', () => admin.get(`/api/claims/${ratedClaimId}`), (r) => r.body.status !== 'unverified');

    const freshEvidence = async () => ({
      path: `/api/evidence/${expectStatus(await admin.post(`/api/claims/${claimId}/evidence`, evidenceBody({ stance: 'supports' })), 202).body.evidenceId}/retract`,
    });
    const freshKey = async () => ({ path: `/api/api-keys/${expectStatus(await admin.post('/api/api-keys', { name: 'to revoke', role: 'viewer' }), 201).body.id}` });
    routes = [
      { method: 'GET', path: '/health', access: 'public', ok: 200 },
      { method: 'GET', path: '/metrics', access: 'public', ok: 200 },
      { method: 'GET', path: '/docs-json', access: 'public', ok: 200 },
      { method: 'GET', path: '/', access: 'public', ok: 200 },
      { method: 'GET', path: '/api/claims', access: 'read', ok: 200 },
      { method: 'GET', path: `/api/claims/${claimId}`, access: 'read', ok: 200 },
      { method: 'GET', path: `/api/claims/${claimId}/events`, access: 'read', ok: 200 },
      { method: 'GET', path: `/api/claims/${ratedClaimId}/claim-review`, access: 'read', ok: 200 },
      { method: 'GET', path: `/claims/${ratedClaimId}`, access: 'read', ok: 200 },
      { method: 'GET', path: `/api/claims/${claimId}/timeline`, access: 'read', ok: 200 },
      { method: 'GET', path: `/api/evidence/${evidenceId}`, access: 'read', ok: 200 },
      { method: 'GET', path: '/api/events', access: 'read', ok: 200 },
      { method: 'GET', path: '/api/events/stream', access: 'read', ok: 200, stream: true },
      { method: 'POST', path: '/api/events/stream-tickets', access: 'viewer', ok: 201 },
      { method: 'GET', path: '/api/ledger/verify', access: 'read', ok: 200 },
      { method: 'GET', path: '/api/api-keys', access: 'admin', ok: 200 },
      { method: 'POST', path: '/api/claims', access: 'checker', ok: 201, body: crimeaClaimBody({ statement: 'Matrix claim' }) },
      { method: 'POST', path: `/api/claims/${claimId}/evidence`, access: 'checker', ok: 202, body: evidenceBody({ summary: 'Matrix evidence' }) },
      { method: 'POST', path: '/api/reports', access: 'checker', ok: 202, body: reportBody({ summary: 'Matrix report' }) },
      { method: 'POST', path: `/api/evidence/${evidenceId}/retract`, access: 'checker', ok: 202, body: { reason: 'matrix' }, make: freshEvidence },
      { method: 'POST', path: '/api/api-keys', access: 'admin', ok: 201, body: { name: 'matrix key', role: 'viewer' } },
      { method: 'DELETE', path: `/api/api-keys/${spareKeyId}`, access: 'admin', ok: 204, make: freshKey },
      { method: 'POST', path: '/api/admin/projections/rebuild', access: 'admin', ok: 202 },
    ];
  });

  async function attempt(route: Route, cred: Cred): Promise<{ status: number; ok: boolean; why: string }> {
    // A refusal happens before the handler: the standing ids do. An allowed retraction or revocation needs a fresh one.
    const made = route.make && expected(route, cred) < 400 ? await route.make() : {};
    const path = made.path ?? route.path;
    const key = keyFor(cred);
    if (route.stream) {
      const res = await openStream(service.base, path, key);
      const want = expected(route, cred);
      const problemOk = res.status < 400 || /^application\/problem\+json/.test(res.contentType);
      return { status: res.status, ok: res.status === want && problemOk, why: `${route.method} ${path} as ${cred}: ${res.status} (want ${want}) ${res.text.slice(0, 200)}` };
    }
    const res = await anon.request(route.method, path, { key, body: made.body ?? route.body });
    answers.push(res);
    const want = expected(route, cred);
    let ok = res.status === want;
    if (res.status === 401) ok &&= isProblem(res, 401) && /^Bearer/.test(String(res.headers['www-authenticate']));
    if (res.status === 403) ok &&= isProblem(res, 403);
    return { status: res.status, ok, why: `${route.method} ${path} as ${cred}: ${res.status} (want ${want}) ${res.text.slice(0, 200)}` };
  }

  it('every refusal (401 / 403) is problem+json and writes nothing', async () => {
    const before = (await verify(admin)).head;
    const failures: string[] = [];
    let tried = 0;
    for (const route of routes) {
      for (const cred of CREDS) {
        if (expected(route, cred) < 400) continue;
        tried++;
        const r = await attempt(route, cred);
        if (!r.ok) failures.push(r.why);
      }
    }
    expect(failures).toEqual([]);
    await until('jobs to settle', () => verify(admin), (v) => v.head.position === before.position, 5000);
    expect((await verify(admin)).head).toEqual(before);
    note(`${tried} refused attempts, ledger head unchanged`);
  });

  it('every allowed attempt answers the route’s 2xx', async () => {
    const failures: string[] = [];
    let tried = 0;
    for (const route of routes) {
      for (const cred of CREDS) {
        if (expected(route, cred) >= 400) continue;
        tried++;
        const r = await attempt(route, cred);
        if (!r.ok) failures.push(r.why);
      }
    }
    expect(failures).toEqual([]);
    note(`${tried} allowed attempts`);
  });

  it('a key revoked just now stops working at once, on every route', async () => {
    const created = expectStatus(await admin.post('/api/api-keys', { name: 'short-lived', role: 'admin' }), 201).body;
    const shortLived = anon.as(created.key);
    expectStatus(await shortLived.get('/api/claims'), 200);
    expectStatus(await admin.delete(`/api/api-keys/${created.id}`), 204);
    for (const r of [await shortLived.get('/api/claims'), await shortLived.post('/api/claims', crimeaClaimBody()), await shortLived.get('/api/api-keys')]) expect(isProblem(r, 401)).toBe(true);
    expect((await openStream(service.base, '/api/events/stream', created.key)).status).toBe(401);
    expect(isProblem(await shortLived.post('/api/events/stream-tickets'), 401)).toBe(true);
    shortLived.close();
    keys.shortLived = created.key;
  });

  it('keys never appear again: not in logs, events, later answers or the database file', async () => {
    // Use the keys in every way a client might: header, an SSE stream ticket, an idempotent replay.
    const ticket = expectStatus(await anon.as(keys.viewer).post('/api/events/stream-tickets'), 201).body.ticket as string;
    expect((await openStream(service.base, `/api/events/stream?ticket=${ticket}`, null)).status).toBe(200);
    const first = expectStatus(await admin.post('/api/api-keys', { name: 'replayed', role: 'checker' }, { headers: { 'idempotency-key': 'key-replay' } }), 201);
    keys.replayed = first.body.key;
    const replay = expectStatus(await admin.post('/api/api-keys', { name: 'replayed', role: 'checker' }, { headers: { 'idempotency-key': 'key-replay' } }), 201);
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect(replay.body).toEqual(expect.objectContaining({ id: first.body.id, key: null }));
    const list = expectStatus(await admin.get('/api/api-keys'), 200);
    answers.push(list, replay);
    for (const item of list.body.items) expect(Object.keys(item)).not.toContain('key');

    const secrets = Object.entries(keys);
    const events = JSON.stringify(await feed(admin));
    const laterAnswers = answers.map((a) => a.text).join('\n');
    // The generated admin key is printed exactly once, at first start, on stdout; nothing else ever.
    const output = service.output();
    const leaks: string[] = [];
    for (const [name, secret] of secrets) {
      const printed = output.split(secret).length - 1;
      if (printed !== (secret === generatedAdminKey ? 1 : 0)) leaks.push(`${name} key printed ${printed} times`);
      if (output.includes(hashKey(secret))) leaks.push(`${name} key hash in the output`);
      if (events.includes(secret) || events.includes(hashKey(secret))) leaks.push(`${name} key in /api/events`);
      if (laterAnswers.includes(secret)) leaks.push(`${name} key in a later answer`);
    }
    // Stop the service (the WAL checkpoints into the file), then look through the raw bytes.
    await service.stop();
    const bytes = ['ledger.sqlite', 'ledger.sqlite-wal', 'ledger.sqlite-shm']
      .map((f) => dir.file(f))
      .filter((f) => existsSync(f))
      .map((f) => readFileSync(f).toString('latin1'))
      .join('');
    for (const [name, secret] of secrets) if (bytes.includes(secret)) leaks.push(`${name} key stored in plain in the database`);
    expect(leaks).toEqual([]);
    expect(output).toMatch(/"level":"debug"/); // it really logged at debug level

    // A restart prints no new key: one admin exists.
    const before = output.length;
    service = await service.restart({ adminKey: null, logLevel: 'debug' });
    admin = new Client(service.base, generatedAdminKey);
    expectStatus(await admin.get('/api/api-keys'), 200);
    expect(/clk_[0-9a-f]{32}_/.test(service.output())).toBe(false);
    expect(before).toBeGreaterThan(0);
  });
});
