import request from 'supertest';
import { bearer, evidenceBody, pledgeBody } from '../../support/app';
import { bootOpsApp, sample, waitFor, type OpsTestApp } from './helpers';

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
      return (sample(s, 'jobs_completed_total', { queue: 'evidence-attach' }) ?? 0) >= 1 && (sample(s, 'ledger_dispatch_lag_positions') ?? 1) === 0 && s;
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

  it('keeps each app instance on its own registry', async () => {
    const mine = await scrape(t);
    const theirs = await scrape(other);
    expect(sample(mine, 'ledger_events_appended_total', { type: 'ClaimRecorded' })).toBe(1);
    expect(sample(theirs, 'ledger_events_appended_total', { type: 'ClaimRecorded' })).toBe(0);
    expect(t.ops.metrics.registry).not.toBe(other.ops.metrics.registry);
  });
});
