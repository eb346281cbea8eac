import { connect, type Socket } from 'node:net';
import { request as httpRequest } from 'node:http';
import { note, writeSummary } from './support/summary';
import { ServiceProcess, tempDir } from './support/service';

/**
 * Slow and idle clients against `node dist/main.js` over raw sockets (issue 16 item 5): a request
 * without a good key is answered 401 from its headers alone, before its body is read, and its
 * connection closed; with a good key, a body that stops coming is cut after
 * HTTP_REQUEST_TIMEOUT_MS, headers that stop coming after HTTP_HEADERS_TIMEOUT_MS, an idle kept-alive
 * connection after HTTP_KEEPALIVE_TIMEOUT_MS; connections over HTTP_MAX_CONNECTIONS are closed on
 * arrival; the live feed, a long answer, is not cut by the request timeout.
 * Every "closes" is a poll with a generous bound, never a timing assertion.
 */

jest.setTimeout(120_000);

const dir = tempDir('slow-clients');
/** Default timeouts (long): whatever closes a connection here is not a timeout. */
let patient: ServiceProcess;
/** Small timeouts, so the tests see them fire. */
let strict: ServiceProcess;
const MAX_CONNECTIONS = 8;
const REQUEST_TIMEOUT_MS = 1500;
const sockets: Socket[] = [];

beforeAll(async () => {
  [patient, strict] = await Promise.all([
    ServiceProcess.start({ dbPath: dir.file('patient.sqlite'), env: { HTTP_MAX_CONNECTIONS: String(MAX_CONNECTIONS) } }),
    ServiceProcess.start({
      dbPath: dir.file('strict.sqlite'),
      env: {
        HTTP_REQUEST_TIMEOUT_MS: String(REQUEST_TIMEOUT_MS),
        HTTP_HEADERS_TIMEOUT_MS: '1000',
        HTTP_KEEPALIVE_TIMEOUT_MS: '500',
        HTTP_CONNECTION_TIMEOUT_MS: '3000',
        SSE_HEARTBEAT_MS: '200',
      },
    }),
  ]);
});

afterAll(async () => {
  for (const s of sockets) s.destroy();
  await Promise.all([patient?.stop(), strict?.stop()]);
  dir.remove();
  writeSummary(__filename);
});

/** A raw connection that records what the server sends and when it hangs up. */
interface RawConnection {
  socket: Socket;
  received(): string;
  closed(): boolean;
  /** Resolves once the server has closed the connection; rejects after `withinMs` (a generous bound). */
  waitClosed(withinMs?: number): Promise<string>;
}

function open(service: ServiceProcess, first = ''): Promise<RawConnection> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port: service.port });
    sockets.push(socket);
    let text = '';
    let isClosed = false;
    const waiters: Array<() => void> = [];
    socket.on('data', (c) => (text += c.toString('latin1')));
    socket.on('error', () => undefined); // a reset is a close too
    socket.on('close', () => {
      isClosed = true;
      for (const w of waiters.splice(0)) w();
    });
    socket.once('connect', () => {
      if (first) socket.write(first);
      resolve({
        socket,
        received: () => text,
        closed: () => isClosed,
        waitClosed: (withinMs = 15_000) =>
          new Promise<string>((res, rej) => {
            if (isClosed) return res(text);
            const timer = setTimeout(() => rej(new Error(`the server kept the connection open for ${withinMs} ms; received: ${JSON.stringify(text.slice(0, 300))}`)), withinMs);
            waiters.push(() => {
              clearTimeout(timer);
              res(text);
            });
          }),
      });
    });
    socket.once('error', reject);
  });
}

const statusOf = (raw: string): number => Number(/^HTTP\/1\.1 (\d{3})/.exec(raw)?.[1] ?? 0);

/** Headers of a 1 MiB JSON POST and its first few bytes: the rest never comes. */
function partialPost(path: string, authorization: string | null): string {
  return (
    `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${1024 * 1024}\r\n` +
    (authorization ? `Authorization: ${authorization}\r\n` : '') +
    `\r\n{"kind":"cl`
  );
}

describe('authentication before the body', () => {
  it.each([
    ['no key', null],
    ['an unknown key', 'Bearer clk_not-a-real-key-0123456789'],
    ['another scheme', 'Basic dXNlcjpwYXNz'],
  ])('a partial 1 MiB POST with %s is answered 401 at once and its connection closed', async (_label, authorization) => {
    // The patient service waits minutes for a body: a close now comes from the 401, not a timeout.
    const conn = await open(patient, partialPost('/api/claims', authorization));
    const raw = await conn.waitClosed(10_000);
    expect(statusOf(raw)).toBe(401);
    expect(raw).toMatch(/content-type: application\/problem\+json/i);
    expect(raw).toMatch(/connection: close/i);
  });

  it('a partial POST with a key too weak for the route is answered 403 at once', async () => {
    const res = await fetch(`${patient.base}/api/api-keys`, {
      method: 'POST',
      headers: { authorization: `Bearer ${patient.adminKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'slow viewer', role: 'viewer' }),
    });
    expect(res.status).toBe(201);
    const viewerKey = ((await res.json()) as { key: string }).key;
    const conn = await open(patient, partialPost('/api/claims', `Bearer ${viewerKey}`));
    const raw = await conn.waitClosed(10_000);
    expect(statusOf(raw)).toBe(403);
  });

  it('the import route, which streams its body to disk, refuses a keyless upload before reading it', async () => {
    const conn = await open(
      patient,
      `POST /api/imports HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/csv\r\nContent-Length: ${50 * 1024 * 1024}\r\n\r\nclaim,speaker\r\n`,
    );
    const raw = await conn.waitClosed(10_000);
    expect(statusOf(raw)).toBe(401);
  });
});

describe('timeouts', () => {
  it('a partial body with a good key is cut after HTTP_REQUEST_TIMEOUT_MS (408, connection closed)', async () => {
    const conn = await open(strict, partialPost('/api/claims', `Bearer ${strict.adminKey}`));
    const raw = await conn.waitClosed(10 * REQUEST_TIMEOUT_MS);
    expect(statusOf(raw)).toBe(408);
    note(`partial body with a good key: 408 and closed (HTTP_REQUEST_TIMEOUT_MS=${REQUEST_TIMEOUT_MS})`);
  });

  it('headers that never finish are cut after HTTP_HEADERS_TIMEOUT_MS', async () => {
    const conn = await open(strict, 'GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: a');
    const raw = await conn.waitClosed(10_000);
    expect(statusOf(raw)).toBe(408);
  });

  it('an idle kept-alive connection is closed after HTTP_KEEPALIVE_TIMEOUT_MS', async () => {
    const conn = await open(strict, 'GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
    const raw = await conn.waitClosed(10_000);
    expect(statusOf(raw)).toBe(200); // answered, kept alive, then closed for idling
  });

  it('the live feed is not cut by the request timeout: it is still streaming after 3× HTTP_REQUEST_TIMEOUT_MS', async () => {
    const url = new URL('/api/events/stream', strict.base);
    const chunks: string[] = [];
    let ended = false;
    const req = httpRequest({ host: url.hostname, port: url.port, path: url.pathname, headers: { authorization: `Bearer ${strict.adminKey}`, accept: 'text/event-stream' } });
    const status = await new Promise<number>((resolve, reject) => {
      req.on('response', (res) => {
        res.setEncoding('utf8');
        res.on('data', (c: string) => chunks.push(c));
        res.on('close', () => (ended = true));
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.end();
    });
    try {
      expect(status).toBe(200);
      await new Promise((r) => setTimeout(r, 3 * REQUEST_TIMEOUT_MS));
      const before = chunks.length;
      // Heartbeats (every 200 ms here) keep coming on the same response.
      const deadline = Date.now() + 10_000;
      while (chunks.length === before && !ended && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      expect(ended).toBe(false);
      expect(chunks.length).toBeGreaterThan(before);
    } finally {
      req.destroy();
    }
  });
});

describe('HTTP_MAX_CONNECTIONS', () => {
  it('a connection over the maximum is closed on arrival, unanswered; below it again, requests are served', async () => {
    // Each held connection has begun a request, so the server has surely accepted it.
    const held = await Promise.all(Array.from({ length: MAX_CONNECTIONS }, () => open(patient, 'GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n')));
    const extra = await open(patient, 'GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
    const raw = await extra.waitClosed(10_000);
    expect(raw).toBe('');
    for (const c of held) c.socket.destroy();
    // Once the server has seen them go, a new connection is served.
    const deadline = Date.now() + 10_000;
    let answered = 0;
    while (Date.now() < deadline) {
      const c = await open(patient, 'GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n');
      answered = statusOf(await c.waitClosed(10_000));
      if (answered !== 0) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect([200, 503]).toContain(answered);
  });
});
