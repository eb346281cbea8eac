import request from 'supertest';
import { bearer, bootApp, createKey, type TestApp } from '../../support/app';
import { listen, postClaim } from './helpers';
import { SseReader } from './sse-reader';

/**
 * Issue 16.4: keys stay out of URLs. EventSource opens the live feed with a short-lived,
 * single-use ticket from POST /api/events/stream-tickets; a key in the query string is refused.
 * The ticket store's clock is the app's injectable clock, moved here instead of waiting 60 s.
 */
describe('stream tickets (POST /api/events/stream-tickets, GET /api/events/stream?ticket=)', () => {
  let t: TestApp;
  let base: string;
  let viewer: { id: string; key: string };
  let checker: string;
  let now = Date.parse('2026-06-01T12:00:00Z');
  const open: SseReader[] = [];

  const ticketFor = async (key: string): Promise<{ ticket: string; expiresAt: string }> => {
    const res = await request(t.http).post('/api/events/stream-tickets').set(bearer(key));
    expect(res.status).toBe(201);
    return res.body;
  };
  const stream = async (query: string): Promise<SseReader> => {
    const r = await SseReader.open(`${base}/api/events/stream${query}`);
    open.push(r);
    return r;
  };

  beforeAll(async () => {
    t = await bootApp({ overrides: { pollIntervalMs: 50, clock: () => new Date(now) } });
    base = await listen(t);
    viewer = await createKey(t, 'viewer');
    checker = (await createKey(t, 'checker')).key;
    await postClaim(t, checker, { statement: 'ticketed' });
  });

  afterEach(() => {
    for (const r of open.splice(0)) r.close();
  });

  afterAll(async () => {
    await t?.close();
  });

  it('any key gets a ticket (201 {ticket, expiresAt} 60 s ahead); no key, no ticket', async () => {
    const issued = await ticketFor(viewer.key);
    expect(issued.ticket).toMatch(/^clt_[A-Za-z0-9_-]{43}$/);
    expect(issued.ticket).not.toContain(viewer.key);
    expect(Date.parse(issued.expiresAt) - now).toBe(60_000);
    expect((await ticketFor(checker)).ticket).not.toBe(issued.ticket);

    const none = await request(t.http).post('/api/events/stream-tickets');
    expect(none.status).toBe(401);
    expect(none.headers['content-type']).toMatch(/^application\/problem\+json/);
    const bad = await request(t.http).post('/api/events/stream-tickets').set(bearer('clk_nope'));
    expect(bad.status).toBe(401);
  });

  it('a ticket opens one stream; used again it is refused 401 problem+json saying how to get a new one', async () => {
    const { ticket } = await ticketFor(viewer.key);
    const first = await stream(`?after=0&ticket=${ticket}`);
    expect(first.status).toBe(200);
    await first.until(() => first.messages.length > 0, 5000, 'an event');
    first.close();

    const again = await stream(`?after=0&ticket=${ticket}`);
    expect(again.status).toBe(401);
    expect(again.headers['content-type']).toMatch(/^application\/problem\+json/);
    const problem = JSON.parse(await again.text());
    expect(problem.detail).toContain('POST /api/events/stream-tickets');
  });

  it('an expired ticket is refused (the clock moved past expiresAt)', async () => {
    const { ticket } = await ticketFor(viewer.key);
    now += 60_001;
    const late = await stream(`?ticket=${ticket}`);
    expect(late.status).toBe(401);
    // A fresh one works at the new time.
    const fresh = await ticketFor(viewer.key);
    expect((await stream(`?ticket=${fresh.ticket}`)).status).toBe(200);
  });

  it('an unknown or malformed ticket is 401; two tickets are 400', async () => {
    expect((await stream(`?ticket=clt_${'A'.repeat(43)}`)).status).toBe(401);
    expect((await stream('?ticket=')).status).toBe(401);
    const two = await request(t.http).get('/api/events/stream?ticket=a&ticket=b');
    expect(two.status).toBe(400);
    expect(two.body.errors[0].field).toBe('ticket');
  });

  it('a key in the query string is refused (400 problem+json naming access_token and the ticket route)', async () => {
    const res = await request(t.http).get(`/api/events/stream?access_token=${encodeURIComponent(viewer.key)}`);
    expect(res.status).toBe(400);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body.errors).toEqual([{ field: 'access_token', message: expect.stringContaining('POST /api/events/stream-tickets') }]);
    // Not accepted anywhere else either.
    expect((await request(t.http).get(`/api/events?access_token=${encodeURIComponent(viewer.key)}`)).status).not.toBe(200);
  });

  it("a revoked key's ticket is refused, and its open stream is closed", async () => {
    const doomed = await createKey(t, 'viewer');
    const spare = await ticketFor(doomed.key);
    const live = await stream(`?ticket=${(await ticketFor(doomed.key)).ticket}`);
    expect(live.status).toBe(200);
    const bystander = await stream(`?ticket=${(await ticketFor(viewer.key)).ticket}`);
    expect(bystander.status).toBe(200);

    const revoked = await request(t.http).delete(`/api/api-keys/${doomed.id}`).set(bearer(t.adminKey));
    expect(revoked.status).toBe(204);
    // Closes within a second; polled with a generous timeout for a loaded machine.
    await live.until(() => live.ended, 10_000, 'the revoked key’s stream to end');
    expect((await stream(`?ticket=${spare.ticket}`)).status).toBe(401);
    // Other keys' streams carry on.
    const next = await postClaim(t, checker, { statement: 'after the revocation' });
    await bystander.until(() => bystander.lastId >= next.position, 5000, 'the next event');
    expect(bystander.ended).toBe(false);
  });
});
