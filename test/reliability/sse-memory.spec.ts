import { connect, type Socket } from 'node:net';
import { readFileSync } from 'node:fs';
import { Client, expectStatus, seen } from './support/client';
import { until } from './support/ledger';
import { ServiceProcess, tempDir } from './support/service';
import { note, writeSummary } from './support/summary';

/**
 * Issue 16.1: the live feed cannot exhaust memory. `node dist/main.js` with PUBLIC_READ over a
 * ledger of 20,000 events; 200 streams connect from position 0 and never read a byte. The
 * process's resident memory may grow by at most 150 MB, and streams beyond the caps (global,
 * per address for keyless streams, per key even under PUBLIC_READ) get 429 problem+json with
 * Retry-After.
 */

jest.setTimeout(180_000);

const EVENTS = 20_000;
const GLOBAL_CAP = 200;
const PER_IP_CAP = 140;
const PER_KEY_CAP = GLOBAL_CAP - PER_IP_CAP;
const RSS_BUDGET_MB = 150;

const dir = tempDir('sse-memory');
let service: ServiceProcess;
let admin: Client;
const sockets: Socket[] = [];

beforeAll(async () => {
  service = await ServiceProcess.start({
    dbPath: dir.file(),
    logLevel: 'error',
    env: {
      PUBLIC_READ: 'true',
      SSE_MAX_CLIENTS: String(GLOBAL_CAP),
      SSE_MAX_CLIENTS_PER_IP: String(PER_IP_CAP),
      SSE_MAX_CLIENTS_PER_KEY: String(PER_KEY_CAP),
      // Hold the stalled streams for the whole measurement (dropping them is tested elsewhere).
      SSE_SLOW_CLIENT_MS: '600000',
      RATE_LIMIT_READS_PER_MINUTE: '0',
      RATE_LIMIT_PER_MINUTE: '0',
      IMPORT_MAX_BYTES: String(64 * 1024 * 1024),
    },
  });
  admin = new Client(service.base, service.adminKey);
});

afterAll(async () => {
  for (const s of sockets) s.destroy();
  admin?.close();
  await service?.stop();
  dir.remove();
  writeSummary(__filename);
  expect(seen.serverErrors).toEqual([]);
});

function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!m) throw new Error('no VmRSS');
  return Number(m[1]) / 1024;
}

/** 20,000 reports through one NDJSON import (the API's bulk path): one event each. */
async function seed(): Promise<number> {
  const lines: string[] = [];
  for (let i = 0; i < EVENTS; i++) {
    lines.push(
      JSON.stringify({
        externalId: `m${i}`,
        revision: 1,
        summary: `A protest was reported in Lviv (${i}); ${'details '.repeat(40)}`,
        source: { url: `https://example.org/report/${i}`, publisher: 'Example' },
        observedAt: '2022-03-30T10:00:00Z',
        places: [{ name: 'Lviv', lat: 49.8397, lon: 24.0297, precisionKm: 5 }],
        indicators: ['protest'],
      }),
    );
  }
  const up = expectStatus(
    await admin.post('/api/imports?format=ndjson&dataset=sse-memory', lines.join('\n'), { headers: { 'content-type': 'application/x-ndjson' }, timeoutMs: 60_000 }),
    202,
  );
  const done = await until('the import to finish', () => admin.get(`/api/imports/${up.body.importId}`), (r) => r.body.state === 'done' || r.body.state === 'failed', 120_000, 250);
  expect(done.body).toMatchObject({ state: 'done', accepted: EVENTS });
  const head = expectStatus(await admin.get('/api/events?after=0&limit=1'), 200);
  expect(head.status).toBe(200);
  const verify = expectStatus(await admin.get('/api/ledger/verify'), 200);
  return verify.body.head.position as number;
}

/**
 * A stream that reads its status line and headers, then never reads again (the socket is paused,
 * so the server's writes pile up in its own buffers). Resolves with the status and, for a refusal,
 * the headers and body.
 */
function stalledStream(key: string | null): Promise<{ status: number; head: string; socket: Socket }> {
  return new Promise((resolve, reject) => {
    const socket = connect(service.port, '127.0.0.1', () => {
      socket.write(`GET /api/events/stream?after=0 HTTP/1.1\r\nHost: 127.0.0.1\r\n${key ? `Authorization: Bearer ${key}\r\n` : ''}\r\n`);
    });
    let text = '';
    socket.on('data', (chunk) => {
      text += chunk.toString('latin1');
      const end = text.indexOf('\r\n\r\n');
      if (end < 0) return;
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0);
      socket.removeAllListeners('data');
      if (status === 200) socket.pause();
      else socket.resume();
      sockets.push(socket);
      resolve({ status, head: text.slice(0, 4000), socket });
    });
    socket.on('error', reject);
  });
}

describe(`${GLOBAL_CAP} streams that never read, over ${EVENTS} events`, () => {
  it(`raise the process's RSS by at most ${RSS_BUDGET_MB} MB; streams beyond the caps get 429`, async () => {
    const head = await seed();
    expect(head).toBeGreaterThanOrEqual(EVENTS);
    const viewerA = expectStatus(await admin.post('/api/api-keys', { name: 'sse-memory a', role: 'viewer' }), 201).body.key as string;
    const viewerB = expectStatus(await admin.post('/api/api-keys', { name: 'sse-memory b', role: 'viewer' }), 201).body.key as string;
    // A fresh process on the seeded file, so the baseline holds no garbage from the import.
    await service.stop();
    service = await service.restart();
    expectStatus(await admin.get('/api/events?after=0&limit=1'), 200);
    await new Promise((r) => setTimeout(r, 1000));
    const pid = service.proc.pid!;
    const before = rssMb(pid);

    const keyless = [];
    for (let i = 0; i < PER_IP_CAP; i++) keyless.push(await stalledStream(null));
    const keyed = [];
    for (let i = 0; i < PER_KEY_CAP; i++) keyed.push(await stalledStream(viewerA));
    expect(keyless.map((s) => s.status)).toEqual(Array(PER_IP_CAP).fill(200));
    expect(keyed.map((s) => s.status)).toEqual(Array(PER_KEY_CAP).fill(200));

    // Over the per-address cap (keyless), the per-key cap (a key sent under PUBLIC_READ) and the global cap.
    const refused = [await stalledStream(null), await stalledStream(viewerA), await stalledStream(viewerB)];
    for (const r of refused) {
      expect(r.status).toBe(429);
      expect(r.head).toMatch(/content-type: application\/problem\+json/i);
      expect(Number(/retry-after: (\d+)/i.exec(r.head)?.[1])).toBeGreaterThanOrEqual(1);
    }

    // Let every stream catch up as far as its socket takes it, sampling the peak.
    let peak = rssMb(pid);
    const deadline = Date.now() + 8_000;
    while (Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 250));
      peak = Math.max(peak, rssMb(pid));
    }
    const grew = peak - before;
    note(`RSS ${before.toFixed(0)} MB → peak ${peak.toFixed(0)} MB (+${grew.toFixed(0)} MB) with ${GLOBAL_CAP} stalled streams over ${head} events`);
    process.stdout.write(`sse-memory: RSS ${before.toFixed(1)} MB -> peak ${peak.toFixed(1)} MB (+${grew.toFixed(1)} MB)\n`);
    expect(grew).toBeLessThanOrEqual(RSS_BUDGET_MB);
    // The service still answers.
    expectStatus(await admin.get('/health'), 200);
  });
});
