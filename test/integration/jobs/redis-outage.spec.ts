import request from 'supertest';
import { BullMqWorkers } from '../../../src/jobs/bullmq';
import { LogDispatcher } from '../../../src/jobs/log-dispatcher';
import { JOB_RUNNER, type JobRunner } from '../../../src/jobs/job-runner';
import { bearer, crimeaClaimBody, evidenceBody, pledgeBody, reportBody } from '../../support/app';
import {
  PrefixLedger,
  attachmentsIn,
  bootJobsApp,
  freePort,
  openQueues,
  startRedisServer,
  waitFor,
  waitForDispatched,
  type Child,
  type JobsTestApp,
} from '../../support/jobs';

/**
 * Redis goes away under a running service (BullMQ mode, workers in the API process): writes
 * still answer 202, the work waits in the log (the dispatcher's checkpoint does not move), and
 * once Redis is back on the same port the evidence gets attached.
 * The Redis here is a throwaway `redis-server` this test starts on a free port, so stopping it
 * disturbs nobody; it keeps no data, so everything after the restart comes from the log.
 */

const prefixes = new PrefixLedger('jobs-outage');

describe('Redis down, then back', () => {
  let port: number;
  let redis: Child | null = null;
  let t: JobsTestApp;

  beforeAll(async () => {
    port = await freePort();
    redis = await startRedisServer(port);
    t = await bootJobsApp('bullmq', prefixes, { redisUrl: `redis://127.0.0.1:${port}` });
  });

  // Closing waits for BullMQ's connections to come back from the outage (reconnect back-off):
  // on a loaded machine that has taken longer than Jest's default 30 s hook timeout once.
  afterAll(async () => {
    if (!redis) redis = await startRedisServer(port).catch(() => null); // let the app close cleanly
    await t?.close();
    await redis?.stop();
  }, 90_000);

  it('evidence posted while Redis is down is accepted (202) and attached once Redis is back', async () => {
    const dispatcher = t.app.get(LogDispatcher);
    // Working normally first.
    const before = await t.api.createClaim(crimeaClaimBody());
    await t.api.postEvidence(before, evidenceBody());
    await t.api.waitForStatus(before, 'contradicted');

    // Redis stops.
    await redis!.kill('SIGKILL');
    redis = null;

    const claimId = await t.api.createClaim(crimeaClaimBody());
    const pledgeId = await t.api.createClaim(pledgeBody());
    const res = await request(t.http).post(`/api/claims/${claimId}/evidence`).set(bearer(t.adminKey)).send(evidenceBody());
    expect(res.status).toBe(202);
    const evidenceId = res.body.evidenceId as string;
    const report = await request(t.http).post('/api/reports').set(bearer(t.adminKey)).send(reportBody({ reliability: 'A', credibility: 1 }));
    expect(report.status).toBe(202);
    const reportId = report.body.evidenceId as string;

    // The dispatcher tried, failed, and kept its checkpoint: the work is still owed.
    const stuck = await waitFor('the dispatcher to notice Redis is gone', () => dispatcher.status(), (s) => !s.healthy && s.lag > 0);
    expect(stuck.checkpoint).toBeLessThan(res.body.position);
    expect((await t.api.claim(claimId)).status).toBe('unverified');
    expect((await t.api.evidence(evidenceId)).attachedTo).toEqual([]);

    // Redis comes back, empty, on the same port.
    redis = await startRedisServer(port);
    const view = await t.api.waitForStatus(claimId, 'contradicted', { timeoutMs: 20_000 });
    expect(view.evidence).toEqual([expect.objectContaining({ evidenceId, attachedBy: 'checker' })]);
    await t.api.waitForStatus(pledgeId, 'contradicted', { timeoutMs: 20_000 });

    const healthy = await waitFor('the dispatcher to catch up', () => dispatcher.status(), (s) => s.healthy && s.lag === 0);
    expect(healthy.lastError).toBeNull();
    const feed = await t.api.feed();
    expect(attachmentsIn(feed, claimId, evidenceId)).toHaveLength(1);
    expect(attachmentsIn(feed, pledgeId, reportId)).toHaveLength(1);
    expect(await t.api.verifyLedger()).toEqual(expect.objectContaining({ ok: true }));
  });
});

describe('Redis restarted empty while jobs were queued but not yet run', () => {
  let port: number;
  let redisUrl: string;
  let redis: Child | null = null;
  let t: JobsTestApp;
  let workers: BullMqWorkers | null = null;

  beforeAll(async () => {
    port = await freePort();
    redisUrl = `redis://127.0.0.1:${port}`;
    redis = await startRedisServer(port);
    // No workers yet: handed-over jobs wait in Redis.
    t = await bootJobsApp('bullmq', prefixes, { redisUrl, runWorkers: false });
  });

  afterAll(async () => {
    await workers?.close();
    if (!redis) redis = await startRedisServer(port).catch(() => null);
    await t?.close();
    await redis?.stop();
  });

  it('the dispatcher hands the lost jobs over again, and the evidence is attached once workers run', async () => {
    const claimId = await t.api.createClaim(crimeaClaimBody());
    const evidenceId = await t.api.postEvidence(claimId, evidenceBody());
    await waitForDispatched(t);
    const queues = openQueues(t.prefix!, redisUrl);
    try {
      expect(await queues.queues.get('evidence-attach')!.getWaitingCount()).toBe(1);
    } finally {
      await queues.close();
    }

    // Redis dies with the job in it and comes back empty.
    await redis!.kill('SIGKILL');
    redis = null;
    redis = await startRedisServer(port);

    workers = new BullMqWorkers(redisUrl, t.prefix!, t.app.get<JobRunner>(JOB_RUNNER), { concurrency: 2, lockDurationMs: 5_000, stalledIntervalMs: 5_000 });
    const view = await t.api.waitForStatus(claimId, 'contradicted', { timeoutMs: 20_000 });
    expect(view.evidence).toEqual([expect.objectContaining({ evidenceId, attachedBy: 'checker' })]);
    expect(attachmentsIn(await t.api.feed(), claimId, evidenceId)).toHaveLength(1);
  });
});
