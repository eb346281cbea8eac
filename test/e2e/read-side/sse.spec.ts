import request from 'supertest';
import type { AppConfig } from '../../../src/config/app-config';
import { LogTail } from '../../../src/feed/log-tail';
import { bearer, bootApp, createKey, type TestApp } from '../../support/app';
import { allEvents, listen, postClaim, startWriter, waitFor } from './helpers';
import { SseReader } from './sse-reader';

/** Feed settings ride on the config object (feedSettings reads sseHeartbeatMs etc. when present). */
const feedOverrides = (o: { sseHeartbeatMs?: number; sseBufferEvents?: number }): Partial<AppConfig> => o as Partial<AppConfig>;

describe('GET /api/events/stream (Server-Sent Events)', () => {
  let t: TestApp;
  let base: string;
  let checker: string;
  let viewer: string;
  const open: SseReader[] = [];

  const connect = async (query = '', headers: Record<string, string> = {}, key: string | null = viewer): Promise<SseReader> => {
    const r = await SseReader.open(`${base}/api/events/stream${query}`, key ? { ...bearer(key), ...headers } : headers);
    open.push(r);
    return r;
  };

  beforeAll(async () => {
    // A small ring (so resuming exercises both the log and the ring) and a fast heartbeat.
    t = await bootApp({ overrides: { pollIntervalMs: 50, ...feedOverrides({ sseHeartbeatMs: 150, sseBufferEvents: 16 }) } });
    base = await listen(t);
    checker = (await createKey(t, 'checker')).key;
    viewer = (await createKey(t, 'viewer')).key;
  });

  afterEach(() => {
    for (const r of open.splice(0)) r.close();
  });

  afterAll(async () => {
    await t?.close();
  });

  it('streams every event with id = position, event = type and data = the envelope of GET /api/events', async () => {
    for (let i = 0; i < 5; i++) await postClaim(t, checker, { statement: `envelope check ${i}` });
    const feed = await allEvents(t, viewer);
    const head = feed[feed.length - 1].position;

    const r = await connect('?after=0');
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toMatch(/^text\/event-stream/);
    expect(r.headers['cache-control']).toMatch(/no-cache/);
    await r.until(() => r.lastId >= head, 5000, `position ${head}`);
    expect(r.ids).toEqual(feed.map((e) => e.position));
    r.messages.forEach((m, i) => {
      expect(m.event).toBe(feed[i].type);
      expect(JSON.parse(m.data)).toEqual(feed[i]);
    });
    expect(r.retry).toBeGreaterThan(0);
  });

  it('disconnected at N, reconnected with Last-Event-ID: N, receives N+1… exactly once while writes continue', async () => {
    const writer = startWriter(t, checker, 'resume');
    try {
      const a = await connect('?after=0');
      await waitFor(() => writer.count() >= 15, 'the writer to get going');
      await a.until(() => a.messages.length >= 10, 5000, 'ten events on the first connection');
      a.close();
      const n = a.lastId;
      const firstIds = a.ids;
      expect(firstIds).toEqual(Array.from({ length: n }, (_, i) => i + 1));

      // Let the log run well past N (and past the 16-event ring) before resuming.
      await waitFor(async () => (await allEvents(t, viewer)).length >= n + 40, 'the log to move on');
      const b = await connect('', { 'Last-Event-ID': String(n) });
      expect(b.status).toBe(200);
      await b.until(() => b.messages.length >= 20, 5000, 'live events after resuming');
      const written = await writer.stop();
      expect(written.length).toBeGreaterThan(40);

      const feed = await allEvents(t, viewer);
      const head = feed[feed.length - 1].position;
      await b.until(() => b.lastId >= head, 5000, `the head ${head} on the resumed connection`);
      // Exactly N+1..head: nothing skipped, nothing twice, in order.
      expect(b.ids).toEqual(Array.from({ length: head - n }, (_, i) => n + 1 + i));
      expect(b.messages.map((m) => JSON.parse(m.data).hash)).toEqual(feed.slice(n).map((e) => e.hash));
    } finally {
      await writer.stop();
    }
  });

  it('Last-Event-ID wins over ?after=, and ?after= alone resumes too', async () => {
    for (let i = 0; i < 3; i++) await postClaim(t, checker, { statement: `precedence ${i}` });
    const head = (await allEvents(t, viewer)).length;
    const both = await connect('?after=1', { 'Last-Event-ID': String(head - 2) });
    await both.until(() => both.lastId >= head, 5000, 'the head');
    expect(both.ids).toEqual([head - 1, head]);

    const afterOnly = await connect(`?after=${head - 1}`);
    await afterOnly.until(() => afterOnly.lastId >= head, 5000, 'the head');
    expect(afterOnly.ids).toEqual([head]);

    // Resuming from the head (or beyond it) waits quietly for what comes next.
    const atHead = await connect(`?after=${head}`);
    const next = await postClaim(t, checker, { statement: 'after the head' });
    await atHead.until(() => atHead.lastId >= next.position, 5000, 'the next event');
    expect(atHead.ids).toEqual([next.position]);
  });

  it('malformed Last-Event-ID or after → 400 problem+json naming it; unknown parameters are refused', async () => {
    for (const bad of ['abc', '-1', '1.5', '12abc', '9'.repeat(20)]) {
      const res = await request(t.http).get('/api/events/stream').set(bearer(viewer)).set('Last-Event-ID', bad);
      expect(res.status).toBe(400);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.body.errors[0].field).toBe('Last-Event-ID');
      expect(res.body.detail).toContain('Last-Event-ID');
    }
    const badAfter = await request(t.http).get('/api/events/stream?after=x').set(bearer(viewer));
    expect(badAfter.status).toBe(400);
    expect(badAfter.body.errors[0].field).toBe('after');
    const unknown = await request(t.http).get('/api/events/stream?since=3').set(bearer(viewer));
    expect(unknown.status).toBe(400);
    expect(unknown.body.errors[0].field).toBe('since');
  });

  it('needs a key unless reads are public: a Bearer header, or (EventSource) a ticket; never a key in the URL', async () => {
    const none = await request(t.http).get('/api/events/stream');
    expect(none.status).toBe(401);
    expect(none.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(none.body.detail).toContain('POST /api/events/stream-tickets');
    const wrongHeader = await request(t.http).get('/api/events/stream').set(bearer('nope'));
    expect(wrongHeader.status).toBe(401);

    // A key in the query string is refused, with the way to get a ticket (issue 16.4).
    const inUrl = await request(t.http).get(`/api/events/stream?access_token=${encodeURIComponent(viewer)}`);
    expect(inUrl.status).toBe(400);
    expect(inUrl.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(inUrl.body.errors[0].field).toBe('access_token');
    expect(inUrl.body.detail).toContain('POST /api/events/stream-tickets');

    const ticket = await request(t.http).post('/api/events/stream-tickets').set(bearer(viewer));
    expect(ticket.status).toBe(201);
    const viaTicket = await connect(`?after=0&ticket=${encodeURIComponent(ticket.body.ticket)}`, {}, null);
    expect(viaTicket.status).toBe(200);
    await viaTicket.until(() => viaTicket.messages.length > 0, 5000, 'an event');
  });

  it('sends heartbeat comments while idle', async () => {
    const head = (await allEvents(t, viewer)).length;
    const r = await connect(`?after=${head}`);
    const before = r.comments;
    await r.until(() => r.comments >= before + 3, 3000, 'three heartbeats');
    expect(r.messages).toEqual([]);
  });

  it('one reader fans out: many live clients add no database reads, each gets every event once', async () => {
    const tail = t.app.get(LogTail);
    const head = (await allEvents(t, viewer)).length;
    const clients = await Promise.all(Array.from({ length: 40 }, () => connect(`?after=${head}`)));
    await waitFor(() => tail.stats().live >= 40, '40 live clients', 5000);
    const before = tail.stats();
    const started = Date.now();
    const made = await Promise.all(Array.from({ length: 25 }, (_, i) => postClaim(t, checker, { statement: `fan-out ${i}` })));
    const last = Math.max(...made.map((m) => m.position));
    await Promise.all(clients.map((c) => c.until(() => c.lastId >= last, 5000, `position ${last}`)));
    const elapsed = Date.now() - started;
    const after = tail.stats();

    const expected = Array.from({ length: last - head }, (_, i) => head + 1 + i);
    for (const c of clients) expect(c.ids).toEqual(expected);
    // Live clients never read the log themselves...
    expect(after.catchUpReads - before.catchUpReads).toBe(0);
    // ...and the shared tail's reads depend on commits and polls, not on the 40 clients.
    const tailReads = after.tailReads - before.tailReads;
    expect(tailReads).toBeLessThanOrEqual(2 * made.length + Math.ceil(elapsed / t.config.pollIntervalMs) + 4);
  });

  it('drops a client that disconnects and keeps serving the others', async () => {
    const tail = t.app.get(LogTail);
    const head = (await allEvents(t, viewer)).length;
    const a = await connect(`?after=${head}`);
    const b = await connect(`?after=${head}`);
    await waitFor(() => tail.stats().live >= 2, 'two live clients', 5000);
    const clientsBefore = tail.stats().clients;
    a.close();
    await waitFor(() => tail.stats().clients === clientsBefore - 1, 'the server to notice the disconnect', 5000);
    const c = await postClaim(t, checker, { statement: 'after a disconnect' });
    await b.until(() => b.lastId >= c.position, 5000, 'the next event');
    expect(b.ids).toEqual([c.position]);
  });
});

describe('SSE with PUBLIC_READ, and shutdown', () => {
  it('is open without a key when reads are public, and app.close() ends every stream promptly', async () => {
    const t = await bootApp({ overrides: { publicRead: true, pollIntervalMs: 50 } });
    let closed = false;
    try {
      const base = await listen(t);
      const checker = (await createKey(t, 'checker')).key;
      await postClaim(t, checker, { statement: 'public' });
      const readers = await Promise.all(Array.from({ length: 5 }, () => SseReader.open(`${base}/api/events/stream`)));
      for (const r of readers) {
        expect(r.status).toBe(200);
        await r.until(() => r.messages.length >= 1, 5000, 'the first event');
      }
      // "Promptly": open streams do not hold the close up. A poll with a generous bound (the target
      // is under 3 s; a loaded 2-core machine may be several times slower), not a timing.
      const closing = t.close().then(() => 'closed' as const);
      const outcome = await Promise.race([closing, new Promise<'stuck'>((r) => setTimeout(() => r('stuck'), 15_000).unref())]);
      expect(outcome).toBe('closed');
      closed = true;
      for (const r of readers) await r.until(() => r.ended, 10_000, 'the stream to end');
    } finally {
      if (!closed) await t.close();
    }
  });
});
