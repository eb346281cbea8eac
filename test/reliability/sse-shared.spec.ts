import { request as httpRequest, type ClientRequest } from 'node:http';
import { Client, expectStatus, seen } from './support/client';
import { until } from './support/ledger';
import { ServiceProcess, tempDir } from './support/service';
import { note, writeSummary } from './support/summary';
import { freePort, startRedisServer, type Child } from '../support/jobs';

/**
 * Issue 15.11 (SSE part) and 16.4 across processes: two `node dist/main.js` processes on one
 * SQLite file and one Redis share their live-stream counts (per key, per address, in all), a
 * stream ticket issued by one opens a stream on the other (once), the leases of a process that
 * dies expire, and a stream whose key is revoked through either process ends.
 */

jest.setTimeout(120_000);

const GLOBAL = 6;
const PER_IP = 2;
const PER_KEY = 3;
const LEASE_MS = 2000;

const dir = tempDir('sse-shared');
let redis: Child;
let one: ServiceProcess;
let two: ServiceProcess;
let admin: Client;
const open: ClientRequest[] = [];

interface Stream {
  status: number;
  retryAfter?: string;
  contentType: string;
  text: string;
  req: ClientRequest;
  ended: () => boolean;
}

/** GET /api/events/stream on a process; a 200 stays open (and reads) until destroyed. */
function openStream(service: ServiceProcess, query = '', key: string | null = null): Promise<Stream> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: '127.0.0.1', port: service.port, path: `/api/events/stream?after=0${query}`, headers: key ? { authorization: `Bearer ${key}` } : {} },
      (res) => {
        let ended = false;
        let text = '';
        res.on('data', (c) => (text += c));
        res.on('end', () => (ended = true));
        res.on('close', () => (ended = true));
        const status = res.statusCode ?? 0;
        const base = { status, retryAfter: res.headers['retry-after'] as string | undefined, contentType: String(res.headers['content-type'] ?? ''), req, ended: () => ended };
        if (status === 200) {
          open.push(req);
          resolve({ ...base, text: '' });
        } else {
          res.on('end', () => resolve({ ...base, text }));
        }
      },
    );
    req.on('error', reject);
    req.end();
  });
}

function expect429(s: Stream, cap: RegExp): void {
  expect(s.status).toBe(429);
  expect(s.contentType).toMatch(/^application\/problem\+json/);
  expect(Number(s.retryAfter)).toBeGreaterThanOrEqual(1);
  expect(JSON.parse(s.text).detail).toMatch(cap);
}

beforeAll(async () => {
  const port = await freePort();
  redis = await startRedisServer(port);
  const options = {
    dbPath: dir.file(),
    logLevel: 'error',
    redisUrl: `redis://127.0.0.1:${port}/0`,
    queuePrefix: 'cl-sse-shared',
    env: {
      PUBLIC_READ: 'true',
      SSE_MAX_CLIENTS: String(GLOBAL),
      SSE_MAX_CLIENTS_PER_IP: String(PER_IP),
      SSE_MAX_CLIENTS_PER_KEY: String(PER_KEY),
      SSE_LEASE_TTL_MS: String(LEASE_MS),
    },
  };
  one = await ServiceProcess.start(options);
  two = await ServiceProcess.start({ ...options, runWorkers: false });
  admin = new Client(one.base, one.adminKey);
});

afterAll(async () => {
  for (const r of open) r.destroy();
  admin?.close();
  await one?.stop();
  await two?.stop();
  await redis?.stop();
  dir.remove();
  writeSummary(__filename);
  expect(seen.serverErrors).toEqual([]);
});

async function newKey(name: string): Promise<{ id: string; key: string }> {
  return expectStatus(await admin.post('/api/api-keys', { name, role: 'viewer' }), 201).body;
}

async function ticketFrom(service: ServiceProcess, key: string): Promise<string> {
  return expectStatus(await new Client(service.base, key).post('/api/events/stream-tickets'), 201).body.ticket;
}

it(`stream counts are shared: ${PER_KEY} per key, ${PER_IP} per address, ${GLOBAL} in all, over both processes`, async () => {
  const a = await newKey('shared a');
  const b = await newKey('shared b');

  // Per address (keyless streams, PUBLIC_READ): one on each process fills it.
  const ip1 = await openStream(one);
  const ip2 = await openStream(two);
  expect([ip1.status, ip2.status]).toEqual([200, 200]);
  expect429(await openStream(one), /client address/);
  expect429(await openStream(two), /client address/);

  // Per key, sent as a Bearer key under PUBLIC_READ: two on one process, one on the other.
  const k1 = await openStream(one, '', a.key);
  const k2 = await openStream(one, '', a.key);
  const k3 = await openStream(two, '', a.key);
  expect([k1.status, k2.status, k3.status]).toEqual([200, 200, 200]);
  expect429(await openStream(two, '', a.key), /per API key/);
  expect429(await openStream(one, `&ticket=${await ticketFrom(two, a.key)}`), /per API key/);

  // In all: 5 open, one more fills the feed; the next, with another key, is refused.
  expect((await openStream(two, '', b.key)).status).toBe(200);
  expect429(await openStream(one, '', b.key), /feed is full/);

  // Closing a stream on one process frees a slot for the other.
  k1.req.destroy();
  const reopened = await until('a slot freed on the other process', () => openStream(two, '', a.key), (s) => s.status === 200 || (s.req.destroy(), false), 10_000, 100);
  expect(reopened.status).toBe(200);
  note(`shared SSE counts held across 2 processes (global ${GLOBAL}, per key ${PER_KEY}, per address ${PER_IP})`);
});

it('the slots of a process that dies expire with its leases', async () => {
  const c = await newKey('after the crash');
  // Process two holds 4 of the 6 slots (ip2, k3, b's stream, the reopened one); the feed is full.
  expect429(await openStream(one, '', c.key), /feed is full/);
  await two.kill('SIGKILL');
  const after = await until('the dead process’s leases to expire', () => openStream(one, '', c.key), (s) => s.status === 200 || (s.req.destroy(), false), LEASE_MS * 10, 200);
  expect(after.status).toBe(200);
});

describe('after process two restarts', () => {
  beforeAll(async () => {
    two = await two.restart();
  });

  it('a ticket issued by one process opens a stream on the other, once', async () => {
    const k = await newKey('ticket across');
    const ticket = await ticketFrom(one, k.key);
    const s = await openStream(two, `&ticket=${ticket}`);
    expect(s.status).toBe(200);
    const again = await openStream(one, `&ticket=${ticket}`);
    expect(again.status).toBe(401);
    s.req.destroy();
  });

  it('a stream whose key is revoked through the other process ends', async () => {
    const k = await newKey('revoked across');
    const s = await openStream(two, `&ticket=${await ticketFrom(two, k.key)}`);
    expect(s.status).toBe(200);
    expectStatus(await admin.delete(`/api/api-keys/${k.id}`), 204);
    // Within a second; polled with a generous timeout for a loaded machine.
    await until('the revoked key’s stream to end', async () => s.ended(), (ended) => ended, 10_000, 50);
  });
});
