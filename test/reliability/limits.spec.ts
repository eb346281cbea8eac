import { connect } from 'node:net';
import { request as httpRequest, type ClientRequest } from 'node:http';
import { LocalStreamSlots } from '../../src/feed/stream-slots';
import { crimeaClaimBody } from '../support/app';
import { Client, expectStatus, isProblem, seen } from './support/client';
import { feed, health, pool, until, verify } from './support/ledger';
import { ServiceProcess, tempDir } from './support/service';
import { note, writeSummary } from './support/summary';

/**
 * Limits on `node dist/main.js`, configured small through the environment: writes and reads per
 * minute per API key (429 problem+json with Retry-After, nothing written, other keys unaffected),
 * request size (413 over 1 MiB, 431 for huge headers) and live SSE streams per key (429 beyond).
 */

jest.setTimeout(120_000);

const WRITES = 30;
const READS = 60;
const STREAMS = 3;

const dir = tempDir('limits');
let service: ServiceProcess;
let admin: Client;
const streams: ClientRequest[] = [];

beforeAll(async () => {
  service = await ServiceProcess.start({
    dbPath: dir.file(),
    logLevel: 'error',
    env: { RATE_LIMIT_PER_MINUTE: String(WRITES), RATE_LIMIT_READS_PER_MINUTE: String(READS), SSE_MAX_CLIENTS_PER_KEY: String(STREAMS) },
  });
  admin = new Client(service.base, service.adminKey);
});

afterAll(async () => {
  for (const s of streams) s.destroy();
  admin?.close();
  await service?.stop();
  dir.remove();
  writeSummary(__filename);
  expect(seen.serverErrors).toEqual([]);
});

async function newKey(role: 'viewer' | 'checker'): Promise<Client> {
  const res = expectStatus(await admin.post('/api/api-keys', { name: `limits ${role}`, role }), 201);
  return new Client(service.base, res.body.key);
}

/** Opens GET /api/events/stream; resolves with the status (a 200 stays open until destroyed). */
function openStream(path: string, key: string | null): Promise<{ status: number; retryAfter?: string; text: string; req: ClientRequest; contentType: string }> {
  const url = new URL(path, service.base);
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: url.hostname, port: url.port, path: url.pathname + url.search, headers: key ? { authorization: `Bearer ${key}` } : {} }, (res) => {
      const status = res.statusCode ?? 0;
      const base = { status, retryAfter: res.headers['retry-after'] as string | undefined, req, contentType: String(res.headers['content-type'] ?? '') };
      if (status === 200) {
        streams.push(req);
        resolve({ ...base, text: '' });
        return;
      }
      let text = '';
      res.on('data', (c) => (text += c));
      res.on('end', () => resolve({ ...base, text }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('per-key rate limits', () => {
  it(`writes: a burst of ${WRITES} passes, then 429 problem+json with Retry-After; nothing written; other keys unaffected`, async () => {
    const a = await newKey('checker');
    const b = await newKey('checker');
    const before = (await verify(admin)).head.position;
    const started = Date.now();
    const answers = await pool(5, Array.from({ length: WRITES + 15 }, (_, i) => () => a.post('/api/claims', crimeaClaimBody({ statement: `Limited ${i}` }))));
    const seconds = (Date.now() - started) / 1000;
    const created = answers.filter((r) => r.status === 201);
    const limited = answers.filter((r) => r.status === 429);
    expect(created.length + limited.length).toBe(answers.length);
    // One window of a minute per key: the burst (well under a minute) gets exactly the budget.
    expect(seconds).toBeLessThan(60);
    expect(created.length).toBe(WRITES);
    expect(limited.length).toBeGreaterThan(0);
    for (const r of limited) {
      expect(isProblem(r, 429)).toBe(true);
      expect(Number(r.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    }
    // Refused writes wrote nothing.
    const events = await feed(admin);
    expect(events.filter((e) => e.position > before && e.type === 'ClaimRecorded').length).toBe(created.length);
    // Another key has its own budget; the same key's reads have theirs.
    expectStatus(await b.post('/api/claims', crimeaClaimBody({ statement: 'Other key' })), 201);
    expectStatus(await a.get('/api/claims?limit=1'), 200);
    // Retry-After is what is left of the key's minute (that a write goes in again after it is
    // checked with a fake clock in test/unit/auth/rate-limit.spec.ts, not by waiting a minute here).
    const wait = Number(limited[limited.length - 1].headers['retry-after']);
    expect(wait).toBeGreaterThanOrEqual(Math.floor(60 - seconds) - 1);
    expect(wait).toBeLessThanOrEqual(60);
    note(`writes: ${created.length} of ${answers.length} in a burst passed, ${limited.length} got 429 (Retry-After ${wait} s)`);
    a.close();
    b.close();
  });

  it(`reads have their own, higher budget (${READS}/min here); public routes are not limited`, async () => {
    const v = await newKey('viewer');
    const answers = await pool(5, Array.from({ length: READS + 30 }, () => () => v.get('/api/events?limit=1')));
    const ok = answers.filter((r) => r.status === 200).length;
    const limited = answers.filter((r) => r.status === 429);
    expect(ok).toBeGreaterThanOrEqual(READS);
    expect(limited.length).toBeGreaterThan(0);
    for (const r of limited) expect(isProblem(r, 429) && Number(r.headers['retry-after']) >= 1).toBe(true);
    const publicAnswers = await pool(5, Array.from({ length: READS + 10 }, () => () => v.get('/health')));
    expect(publicAnswers.every((r) => r.status === 200)).toBe(true);
    v.close();
  });
});

describe('request size', () => {
  it('a body over 1 MiB is 413 problem+json and writes nothing; so is a chunked one', async () => {
    const before = (await verify(admin)).head;
    const big = JSON.stringify(crimeaClaimBody({ statement: 'x'.repeat(1024 * 1024) }));
    const res = await admin.post('/api/claims', big);
    expect(isProblem(res, 413)).toBe(true);
    // Without a Content-Length (chunked), the limit holds while streaming.
    const chunked = await new Promise<{ status: number; type: string }>((resolve, reject) => {
      const url = new URL('/api/claims', service.base);
      const req = httpRequest(
        { host: url.hostname, port: url.port, method: 'POST', path: url.pathname, headers: { authorization: `Bearer ${admin.key}`, 'content-type': 'application/json', 'transfer-encoding': 'chunked' } },
        (r) => {
          r.resume();
          r.on('end', () => resolve({ status: r.statusCode ?? 0, type: String(r.headers['content-type']) }));
        },
      );
      req.on('error', (err) => ((err as NodeJS.ErrnoException).code === 'EPIPE' || (err as NodeJS.ErrnoException).code === 'ECONNRESET' ? undefined : reject(err)));
      req.write('{"statement":"');
      for (let i = 0; i < 20; i++) req.write('y'.repeat(64 * 1024));
      req.end('"}');
    });
    expect(chunked.status).toBe(413);
    expect(chunked.type).toMatch(/^application\/problem\+json/);
    // Just under the limit is read, and refused for what it says (a 5000-character statement at most).
    const under = await admin.post('/api/claims', JSON.stringify(crimeaClaimBody({ statement: 'z'.repeat(1024 * 1024 - 600) })));
    expect(isProblem(under, 400)).toBe(true);
    expect((await verify(admin)).head).toEqual(before);
  });

  it('headers over 16 KiB get 431 problem+json and the service carries on', async () => {
    const raw = await new Promise<string>((resolve, reject) => {
      const socket = connect(service.port, '127.0.0.1', () => {
        socket.write(`GET /api/claims HTTP/1.1\r\nHost: x\r\nIdempotency-Key: ${'k'.repeat(20_000)}\r\n\r\n`);
      });
      let text = '';
      socket.on('data', (c) => (text += c.toString()));
      socket.on('end', () => resolve(text));
      socket.on('close', () => resolve(text));
      socket.on('error', reject);
    });
    expect(raw).toMatch(/^HTTP\/1\.1 431/);
    expect(raw).toMatch(/content-type: application\/problem\+json/i);
    expect(JSON.parse(raw.slice(raw.indexOf('\r\n\r\n') + 4))).toEqual(expect.objectContaining({ status: 431, title: 'Request Header Fields Too Large' }));
    expect((await health(admin)).status).toBe(200);
  });
});

describe(`live SSE streams per key (${STREAMS} here)`, () => {
  it(`the ${STREAMS + 1}th stream of one key is 429; other keys may stream; closing one frees its slot`, async () => {
    const v = await newKey('viewer');
    const other = await newKey('viewer');
    const open = [];
    for (let i = 0; i < STREAMS; i++) open.push(await openStream('/api/events/stream', v.key));
    expect(open.map((s) => s.status)).toEqual(Array(STREAMS).fill(200));
    // Over the cap, by header or by a stream ticket (issued to the key) alike.
    const ticket = expectStatus(await v.post('/api/events/stream-tickets'), 201).body.ticket as string;
    for (const extra of [await openStream('/api/events/stream', v.key), await openStream(`/api/events/stream?ticket=${ticket}`, null)]) {
      expect(extra.status).toBe(429);
      expect(extra.contentType).toMatch(/^application\/problem\+json/);
      expect(Number(extra.retryAfter)).toBeGreaterThanOrEqual(1);
    }
    expect((await openStream('/api/events/stream', other.key)).status).toBe(200);
    open[0].req.destroy();
    const reopened = await until('a slot to free up', () => openStream('/api/events/stream', v.key), (s) => s.status === 200, 10_000, 100);
    expect(reopened.status).toBe(200);
    v.close();
    other.close();
  });
});

// The minute budgets themselves (fixed windows, shared through Redis): test/unit/auth/rate-limit.spec.ts.
describe('the stream counts themselves', () => {
  it('a slot is given back once, whatever calls release; 0 turns a cap off', () => {
    const slots = new LocalStreamSlots({ global: 0, perKey: 2, perIp: 1 });
    const a = slots.acquire({ keyId: 'k' });
    const b = slots.acquire({ keyId: 'k' });
    expect(a.ok && b.ok).toBe(true);
    expect(slots.acquire({ keyId: 'k' })).toEqual({ ok: false, cap: 'key', max: 2 });
    if (a.ok) { a.release(); a.release(); }
    expect(slots.holding('key:k')).toBe(1);
    expect(slots.acquire({ keyId: 'k' }).ok).toBe(true);
    expect(slots.acquire({ ip: '10.0.0.1' }).ok).toBe(true);
    expect(slots.acquire({ ip: '10.0.0.1' })).toEqual({ ok: false, cap: 'ip', max: 1 });
    expect(slots.holding('global')).toBe(0);
  });
});
