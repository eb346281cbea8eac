import request from 'supertest';
import { bearer, pledgeBody, reportBody } from '../../support/app';
import { bootOpsApp, waitFor, type OpsTestApp } from './helpers';

describe('structured logs and the request id', () => {
  let t: OpsTestApp;
  let pledge: { id: string; position: number };
  let report: { evidenceId: string; position: number };

  beforeAll(async () => {
    t = await bootOpsApp({}, { logLevel: 'info' });
    const a = bearer(t.adminKey);
    const p = await request(t.http).post('/api/claims').set(a).set('X-Request-Id', 'ops-log-req-1').send(pledgeBody());
    expect(p.status).toBe(201);
    expect(p.headers['x-request-id']).toBe('ops-log-req-1');
    pledge = p.body;
    // The pledge's own matching job first: otherwise it may be the one that finds the report.
    await waitFor(() => Promise.resolve(t.logs.lines().some((l) => l.msg === 'job completed' && l.queue === 'pledge-match')), 'the pledge-match job');
    const r = await request(t.http).post('/api/reports').set(a).set('X-Request-Id', 'ops-log-req-2').send(reportBody());
    expect(r.status).toBe(202);
    report = r.body;
    await waitFor(() => Promise.resolve(t.logs.lines().some((l) => l.msg === 'job completed' && l.queue === 'report-match')), 'the report-match job');
  });

  afterAll(async () => {
    await t?.close();
  });

  it('writes JSON lines with level, time and message', () => {
    const lines = t.logs.lines();
    expect(lines.length).toBeGreaterThan(3);
    for (const l of lines) {
      expect(l).toMatchObject({ level: expect.any(String), time: expect.any(String), msg: expect.any(String), service: 'claim-ledger' });
      expect(Number.isNaN(Date.parse(l.time as string))).toBe(false);
    }
  });

  it('writes one line per request with id, method, route, status and duration', async () => {
    await request(t.http).get(`/api/claims/${pledge.id}`).set(bearer(t.adminKey)).set('X-Request-Id', 'ops-log-req-3');
    const lines = t.logs.lines().filter((l) => l.msg === 'request completed');
    const first = lines.filter((l) => l.reqId === 'ops-log-req-1');
    expect(first).toHaveLength(1);
    expect(first[0]).toMatchObject({ level: 'info', method: 'POST', route: '/api/claims', path: '/api/claims', status: 201, durationMs: expect.any(Number) });
    const third = lines.find((l) => l.reqId === 'ops-log-req-3');
    expect(third).toMatchObject({ method: 'GET', route: '/api/claims/:id', status: 200 });
  });

  it('never logs the Authorization header, API keys or bodies', () => {
    const text = t.logs.text();
    expect(text).not.toContain(t.adminKey);
    expect(text.toLowerCase()).not.toContain('bearer');
    expect(text.toLowerCase()).not.toContain('authorization');
    expect(text).not.toContain('radically reduce'); // the pledge's statement
    expect(text).not.toContain('Heavy shelling'); // the report's summary
  });

  it('carries the request id into the job it causes (correlationId, causation position)', () => {
    const job = t.logs.lines().find((l) => l.msg === 'job completed' && l.queue === 'report-match');
    expect(job).toMatchObject({ correlationId: 'ops-log-req-2', causationPosition: report.position, evidenceId: report.evidenceId });
    expect(job).not.toHaveProperty('reqId'); // a job line is about the job, not whichever request woke it
  });

  it('carries the request id into event metadata, and the causing position into job events', async () => {
    const res = await request(t.http).get(`/api/claims/${pledge.id}/events`).set(bearer(t.adminKey));
    expect(res.status).toBe(200);
    const events = res.body.items as Array<{ type: string; metadata: { correlationId: string; causationId: string | null } }>;
    expect(events[0]).toMatchObject({ type: 'ClaimRecorded', metadata: { correlationId: 'ops-log-req-1', causationId: null } });
    const attached = events.find((e) => e.type === 'EvidenceAttached');
    expect(attached?.metadata).toMatchObject({ correlationId: 'ops-log-req-2', causationId: String(report.position) });
  });

  it('honours LOG_LEVEL', async () => {
    const quiet = await bootOpsApp({}, { logLevel: 'warn' });
    try {
      expect((await request(quiet.http).get('/health')).status).toBe(200);
      expect(quiet.logs.lines().filter((l) => l.level === 'info' || l.level === 'debug')).toEqual([]);
    } finally {
      await quiet.close();
    }
  });
});
