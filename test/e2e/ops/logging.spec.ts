import request from 'supertest';
import { DataSource } from 'typeorm';
import { bearer, pledgeBody, reportBody } from '../../support/app';
import { createApp } from '../../../src/app.factory';
import { loadConfig } from '../../../src/config/app-config';
import { createOpsRuntime } from '../../../src/ops/ops.module';
import { TEST_ADMIN_KEY, tempDbPath } from '../../support/app';
import { LogCapture, bootOpsApp, waitFor, type OpsTestApp } from './helpers';

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
    // The log does cover the requests that carried the key and the bodies (else "not found" proves nothing).
    const requests = t.logs.lines().filter((l) => l.msg === 'request completed').map((l) => l.reqId);
    expect(requests).toEqual(expect.arrayContaining(['ops-log-req-1', 'ops-log-req-2']));
    // The very texts that were sent, compared without regard to case.
    const sent = [t.adminKey, `Bearer ${t.adminKey}`, pledgeBody().statement as string, reportBody().summary as string];
    expect(leaked(text, sent)).toEqual([]);
    expect(text.toLowerCase()).not.toContain('bearer');
    expect(text.toLowerCase()).not.toContain('authorization');
    // The check finds a body that does reach the log, whatever its case.
    const leakyLine = JSON.stringify({ msg: 'request completed', body: (reportBody().summary as string).toUpperCase(), statement: pledgeBody().statement });
    expect(leaked(text + leakyLine, sent)).toEqual([pledgeBody().statement, reportBody().summary]);
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

  it('logs a request that fails with 500 with its request id (the log context is not carried by promises)', async () => {
    // Booted without the OpenAPI answer check: this 500 is the point (no route documents one).
    const temp = tempDbPath('claim-ledger-ops-');
    const logs = new LogCapture();
    const config = loadConfig({}, { databasePath: temp.dbPath, adminApiKey: TEST_ADMIN_KEY, logLevel: 'error', redisUrl: null });
    const app = await createApp(config, createOpsRuntime(config, logs));
    try {
      await app.getHttpAdapter().getInstance().ready();
      // A read model gone from under the app: the read fails in a query, well after the request's first tick.
      await app.get(DataSource).query('DROP TABLE claims');
      const res = await request(app.getHttpServer()).get('/api/claims').set(bearer(TEST_ADMIN_KEY)).set('X-Request-Id', 'ops-log-req-500');
      expect(res.status).toBe(500);
      const line = logs.lines().find((l) => l.level === 'error' && l.context === 'HTTP');
      expect(line).toMatchObject({ reqId: 'ops-log-req-500', msg: expect.stringContaining('claims') });
    } finally {
      await app.close();
      temp.cleanup();
    }
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

/** Which of `sent` occur in `text` as written or as a JSON log line escapes them (`"` → `\"`), ignoring case. */
function leaked(text: string, sent: string[]): string[] {
  const lower = text.toLowerCase();
  return sent.filter((s) => [s, JSON.stringify(s).slice(1, -1)].some((form) => lower.includes(form.toLowerCase())));
}
