import request from 'supertest';
import { bootApp, bearer, createKey, crimeaClaimBody, type TestApp } from '../../support/app';
import { expectProblem, settle } from '../../support/http';
import { sample } from '../ops/helpers';

/**
 * Issue 16.2: GET /api/ledger/verify cannot be used to burn CPU. Each event is hashed once
 * (incremental walks from the last verified position), an unchanged head is answered from the
 * last result, concurrent callers share one walk, the route has its own limit, and a full walk
 * is an admin's `?full=true`. The work is observed on /metrics (ledger_verify_runs_total,
 * ledger_verify_rehashed_events_total), never by timing.
 */

jest.setTimeout(60_000);

interface VerifyWork {
  runs: number;
  rehashed: number;
}

async function work(t: TestApp, mode: 'incremental' | 'full'): Promise<VerifyWork> {
  const res = await request(t.http).get('/metrics');
  expect(res.status).toBe(200);
  return {
    runs: sample(res.text, 'ledger_verify_runs_total', { mode }) ?? NaN,
    rehashed: sample(res.text, 'ledger_verify_rehashed_events_total', { mode }) ?? NaN,
  };
}

describe('GET /api/ledger/verify under many anonymous callers (PUBLIC_READ)', () => {
  let t: TestApp;
  let head: number;

  beforeAll(async () => {
    // No background walk (CHAIN_FULL_VERIFY_MS=0): every walk counted below is one a request caused.
    t = await bootApp({ overrides: { publicRead: true, chainFullVerifyMs: 0, verifyRateLimitPerMinute: 500 } });
    const a = bearer(t.adminKey);
    for (let i = 0; i < 60; i++) {
      expect((await request(t.http).post('/api/claims').set(a).send(crimeaClaimBody({ statement: `Verify cost ${i}` }))).status).toBe(201);
    }
    await settle(t);
    head = (await request(t.http).get('/api/events?after=0&limit=500').set(a)).body.items.length;
    expect(head).toBeGreaterThanOrEqual(60);
  });

  afterAll(async () => {
    await t?.close();
  });

  it('50 concurrent calls make one walk of the chain; /health keeps answering meanwhile', async () => {
    const before = await work(t, 'incremental');
    expect(before).toEqual({ runs: 0, rehashed: 0 });
    const calls = Array.from({ length: 50 }, () => request(t.http).get('/api/ledger/verify'));
    const healthChecks = Array.from({ length: 5 }, () => request(t.http).get('/health'));
    const [answers, healths] = await Promise.all([Promise.all(calls), Promise.all(healthChecks)]);
    for (const res of answers) {
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ ok: true, checked: head, head: { position: head, hash: expect.stringMatching(/^[0-9a-f]{64}$/) } });
    }
    for (const res of healths) expect(res.status).toBe(200);
    expect(await work(t, 'incremental')).toEqual({ runs: 1, rehashed: head });
  });

  it('a second call at the same head re-hashes nothing; after an append only the new events are hashed', async () => {
    const before = await work(t, 'incremental');
    const again = await request(t.http).get('/api/ledger/verify');
    expect(again.body).toMatchObject({ ok: true, checked: head });
    expect(await work(t, 'incremental')).toEqual(before);

    expect((await request(t.http).post('/api/claims').set(bearer(t.adminKey)).send(crimeaClaimBody({ statement: 'One more' }))).status).toBe(201);
    await settle(t);
    const next = await request(t.http).get('/api/ledger/verify');
    const grown = next.body.head.position - head;
    expect(grown).toBeGreaterThanOrEqual(1);
    expect(next.body).toMatchObject({ ok: true, checked: head + grown });
    expect(await work(t, 'incremental')).toEqual({ runs: before.runs + 1, rehashed: before.rehashed + grown });
    head += grown;
  });

  it('?full=true re-hashes the whole chain, for an admin key only (403 problem+json otherwise; 400 for another value)', async () => {
    const viewer = await createKey(t, 'viewer');
    const before = await work(t, 'full');
    expectProblem(await request(t.http).get('/api/ledger/verify?full=true'), 403);
    expectProblem(await request(t.http).get('/api/ledger/verify?full=true').set(bearer(viewer.key)), 403);
    expectProblem(await request(t.http).get('/api/ledger/verify?full=yes').set(bearer(t.adminKey)), 400, 'full');
    expect(await work(t, 'full')).toEqual(before);

    const full = await Promise.all(Array.from({ length: 5 }, () => request(t.http).get('/api/ledger/verify?full=true').set(bearer(t.adminKey))));
    for (const res of full) expect(res.body).toMatchObject({ ok: true, checked: head });
    const after = await work(t, 'full');
    // Concurrent full asks share a walk too (at most one more may queue behind a running one).
    expect(after.runs - before.runs).toBeGreaterThanOrEqual(1);
    expect(after.runs - before.runs).toBeLessThanOrEqual(2);
    expect(after.rehashed - before.rehashed).toBe((after.runs - before.runs) * head);
  });
});

describe('the route has its own limit (VERIFY_RATE_LIMIT_PER_MINUTE)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await bootApp({ overrides: { publicRead: true, chainFullVerifyMs: 0, verifyRateLimitPerMinute: 3 } });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('past it, 429 problem+json with Retry-After; other reads and other callers are not affected', async () => {
    for (let i = 0; i < 3; i++) expect((await request(t.http).get('/api/ledger/verify')).status).toBe(200);
    const refused = await request(t.http).get('/api/ledger/verify');
    expectProblem(refused, 429);
    expect(Number(refused.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(refused.body.detail).toMatch(/ledger\/verify/);
    expect((await request(t.http).get('/api/events')).status).toBe(200);
    // A key is its own bucket; admin keys are not limited here.
    const viewer = await createKey(t, 'viewer');
    for (let i = 0; i < 3; i++) expect((await request(t.http).get('/api/ledger/verify').set(bearer(viewer.key))).status).toBe(200);
    expectProblem(await request(t.http).get('/api/ledger/verify').set(bearer(viewer.key)), 429);
    for (let i = 0; i < 5; i++) expect((await request(t.http).get('/api/ledger/verify').set(bearer(t.adminKey))).status).toBe(200);
  });
});
