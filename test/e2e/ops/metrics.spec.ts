import request from 'supertest';
import { bearer, evidenceBody, pledgeBody } from '../../support/app';
import { DataSource } from 'typeorm';
import { cachedSource } from '../../../src/ops/metrics';
import { claimCountsByStatus } from '../../../src/projections/claims-list/queries';
import type { AddressInfo } from 'node:net';
import { createOpsRuntime } from '../../../src/ops/ops.module';
import { startWorkerMetricsServer } from '../../../src/ops/worker-metrics';
import { LogCapture, bootOpsApp, freePort, sample, waitFor, type OpsTestApp } from './helpers';

async function scrape(t: OpsTestApp): Promise<string> {
  const res = await request(t.http).get('/metrics');
  expect(res.status).toBe(200);
  return res.text;
}

describe('GET /metrics (Prometheus text)', () => {
  let t: OpsTestApp;
  let other: OpsTestApp;

  beforeAll(async () => {
    t = await bootOpsApp();
    // A second app in the same process: its own registry, no clash with the first.
    other = await bootOpsApp();
  });

  afterAll(async () => {
    await t?.close();
    await other?.close();
  });

  it('is public, in the Prometheus text format, and names every series up front', async () => {
    const res = await request(t.http).get('/metrics');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    for (const name of [
      'http_request_duration_seconds',
      'ledger_events_appended_total',
      'ledger_dispatch_lag_positions',
      'ledger_head_position',
      'jobs_completed_total',
      'jobs_failed_total',
      'jobs_duration_seconds',
      'claims_by_status',
      'process_cpu_seconds_total',
    ]) {
      expect(res.text).toContain(`# TYPE ${name} `);
    }
    expect(sample(res.text, 'ledger_events_appended_total', { type: 'ClaimRecorded' })).toBe(0);
    expect(sample(res.text, 'jobs_completed_total', { queue: 'evidence-attach' })).toBe(0);
    expect(sample(res.text, 'claims_by_status', { status: 'unverified' })).toBe(0);
  });

  it('counts requests by route pattern, appended events by type, jobs by queue, and claims by status', async () => {
    const a = bearer(t.adminKey);
    const pledge = await request(t.http).post('/api/claims').set(a).send(pledgeBody());
    expect(pledge.status).toBe(201);
    const ev = await request(t.http).post(`/api/claims/${pledge.body.id}/evidence`).set(a).send(evidenceBody());
    expect(ev.status).toBe(202);
    expect((await request(t.http).get(`/api/claims/${pledge.body.id}`).set(a)).status).toBe(200);
    expect((await request(t.http).get(`/api/claims/00000000-0000-4000-8000-00000000abcd`).set(a)).status).toBe(404);

    const text = await waitFor(async () => {
      const s = await scrape(t);
      // The gauges are re-read at most every second (claims by status every 5 s): wait for them to catch up.
      return (
        (sample(s, 'jobs_completed_total', { queue: 'evidence-attach' }) ?? 0) >= 1 &&
        (sample(s, 'ledger_dispatch_lag_positions') ?? 1) === 0 &&
        sample(s, 'ledger_head_position') === 4 &&
        sample(s, 'claims_by_status', { status: 'contradicted' }) === 1 &&
        s
      );
    }, 'the evidence-attach job');

    expect(sample(text, 'http_request_duration_seconds_count', { method: 'POST', route: '/api/claims', code: '201' })).toBe(1);
    expect(sample(text, 'http_request_duration_seconds_count', { method: 'POST', route: '/api/claims/:id/evidence', code: '202' })).toBe(1);
    expect(sample(text, 'http_request_duration_seconds_count', { method: 'GET', route: '/api/claims/:id', code: '200' })).toBe(1);
    expect(sample(text, 'http_request_duration_seconds_count', { method: 'GET', route: '/api/claims/:id', code: '404' })).toBe(1);
    expect(text).not.toContain(pledge.body.id); // ids never become label values

    expect(sample(text, 'ledger_events_appended_total', { type: 'ClaimRecorded' })).toBe(1);
    expect(sample(text, 'ledger_events_appended_total', { type: 'EvidenceSubmitted' })).toBe(1);
    expect(sample(text, 'ledger_events_appended_total', { type: 'EvidenceAttached' })).toBe(1);
    expect(sample(text, 'ledger_events_appended_total', { type: 'VerificationStatusChanged' })).toBe(1);
    expect(sample(text, 'ledger_head_position')).toBe(4);

    expect(sample(text, 'jobs_completed_total', { queue: 'pledge-match' })).toBe(1);
    expect(sample(text, 'jobs_failed_total', { queue: 'evidence-attach' })).toBe(0);
    expect(sample(text, 'jobs_duration_seconds_count', { queue: 'evidence-attach', outcome: 'completed' })).toBe(1);

    expect(sample(text, 'claims_by_status', { status: 'contradicted' })).toBe(1);
    expect(sample(text, 'claims_by_status', { status: 'unverified' })).toBe(0);
  });

  it('never counts per scrape: concurrent and repeated scrapes share one read of the claims by status', async () => {
    let reads = 0;
    const ds = t.app.get(DataSource);
    t.ops.metrics.bind({
      claimsByStatus: async () => {
        reads++;
        return claimCountsByStatus(ds);
      },
    });
    const texts = await Promise.all(Array.from({ length: 20 }, () => scrape(t)));
    for (let i = 0; i < 5; i++) texts.push(await scrape(t));
    expect(reads).toBe(1);
    for (const text of texts) expect(sample(text, 'claims_by_status', { status: 'contradicted' })).toBe(1);
  });

  it('keeps each app instance on its own registry', async () => {
    const mine = await scrape(t);
    const theirs = await scrape(other);
    expect(sample(mine, 'ledger_events_appended_total', { type: 'ClaimRecorded' })).toBe(1);
    expect(sample(theirs, 'ledger_events_appended_total', { type: 'ClaimRecorded' })).toBe(0);
    expect(t.ops.metrics.registry).not.toBe(other.ops.metrics.registry);
  });
});

describe('GET /metrics with METRICS_TOKEN', () => {
  const token = 'metrics-token-0123456789abcdef';
  let t: OpsTestApp;
  beforeAll(async () => {
    t = await bootOpsApp({ metricsToken: token });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('answers 401 problem+json without the token, with another token or an API key; 200 with Bearer <METRICS_TOKEN>', async () => {
    for (const auth of [undefined, 'Bearer wrong-token-0123456789abcdef', `Bearer ${t.adminKey}`, token]) {
      const req = request(t.http).get('/metrics');
      const res = auth ? await req.set('Authorization', auth) : await req;
      expect(res.status).toBe(401);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.headers['www-authenticate']).toMatch(/^Bearer/);
      expect(res.text).not.toContain('ledger_events_appended_total');
    }
    const ok = await request(t.http).get('/metrics').set(bearer(token));
    expect(ok.status).toBe(200);
    expect(ok.text).toContain('# TYPE ledger_events_appended_total counter');
  });
});

describe("a worker's /metrics (METRICS_PORT) with METRICS_TOKEN", () => {
  it('answers 401 without the token and 200 with it', async () => {
    const token = 'worker-metrics-token-0123456789';
    const ops = createOpsRuntime({ logLevel: 'silent' }, new LogCapture());
    const server = await startWorkerMetricsServer(await freePort(), '127.0.0.1', ops.metrics, ops.logger, token);
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/metrics`;
      const refused = await fetch(url);
      expect(refused.status).toBe(401);
      expect(refused.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect((await fetch(url, { headers: { authorization: 'Bearer nope-nope-nope-nope' } })).status).toBe(401);
      const ok = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
      expect(ok.status).toBe(200);
      expect(await ok.text()).toContain('# TYPE jobs_completed_total counter');
    } finally {
      await new Promise((r) => server.close(r));
    }
  });
});

describe('cachedSource (the scrape-time reads behind the gauges)', () => {
  it('shares one read in flight, reuses its answer for maxAgeMs, and keeps no failure', async () => {
    let now = 1000;
    let calls = 0;
    let fail = false;
    const read = cachedSource(async () => {
      calls++;
      if (fail) throw new Error('down');
      return calls;
    }, 5000, () => now);
    expect(await Promise.all([read(), read(), read()])).toEqual([1, 1, 1]);
    now += 4999;
    expect(await read()).toBe(1);
    now += 1;
    expect(await read()).toBe(2);
    now += 5000;
    fail = true;
    await expect(read()).rejects.toThrow('down');
    fail = false;
    expect(await read()).toBe(4);
    expect(calls).toBe(4);
  });
});
