import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { BullMqWorkers } from '../../../src/jobs/bullmq';
import { planJobs, type PlannedJob } from '../../../src/jobs/job-plan';
import { DISPATCHER_CHECKPOINT } from '../../../src/jobs/log-dispatcher';
import { JOB_RUNNER, type JobRunner } from '../../../src/jobs/job-runner';
import { crimeaClaimBody, evidenceBody, pledgeBody, reportBody, tempDbPath } from '../../support/app';
import { TEST_REDIS_URL } from '../../support/redis';
import {
  PrefixLedger,
  RUN_MODES,
  attachmentsIn,
  bootJobsApp,
  openQueues,
  waitFor,
  waitForDispatched,
  waitForIdle,
  waitForJob,
  type Api,
  type JobsTestApp,
  type RunMode,
} from '../../support/jobs';

/** A job delivered twice (or run by hand again, or re-dispatched after a restart) appends nothing new. */

const prefixes = new PrefixLedger('jobs-redelivery');
afterAll(() => prefixes.cleanup());

/** Pledge + two independent reports + one retracted, and a plain claim with checked evidence. */
async function settledScenario(api: Api): Promise<{ pledgeId: string; claimId: string; reports: string[]; evidenceId: string }> {
  const pledgeId = await api.createClaim(pledgeBody());
  const claimId = await api.createClaim(crimeaClaimBody());
  const r1 = await api.postReport(reportBody({ reliability: 'A', credibility: 1, source: { url: 'https://example.org/oda', publisher: 'Chernihiv ODA' } }));
  await api.waitForStatus(pledgeId, 'contradicted');
  const r2 = await api.postReport(reportBody({ reliability: 'B', credibility: 2 }));
  await api.waitForStatus(pledgeId, 'refuted');
  await api.retract(r2, 'location unconfirmed');
  await api.waitForStatus(pledgeId, 'contradicted');
  const evidenceId = await api.postEvidence(claimId, evidenceBody());
  await api.waitForStatus(claimId, 'contradicted');
  return { pledgeId, claimId, reports: [r1, r2], evidenceId };
}

async function plannedFromFeed(api: Api): Promise<PlannedJob[]> {
  return (await api.feed()).flatMap(planJobs);
}

describe.each(RUN_MODES)('redelivery, %s mode', (mode: RunMode) => {
  let t: JobsTestApp;

  beforeAll(async () => {
    t = await bootJobsApp(mode, prefixes);
  });

  afterAll(async () => {
    await t?.close();
  });

  it('running every job of the log again, one by one and two at once, appends nothing', async () => {
    const { pledgeId, reports } = await settledScenario(t.api);
    await waitForIdle(t);
    const before = await t.api.feed();
    const jobs = before.flatMap(planJobs);
    expect(jobs.map((j) => j.queue).sort()).toEqual(['evidence-attach', 'evidence-detach', 'pledge-match', 'report-match', 'report-match']);

    const runner = t.app.get<JobRunner>(JOB_RUNNER);
    for (const job of jobs) {
      expect({ job: job.jobId, appended: (await runner.run(job.queue, job.data)).appended }).toEqual({ job: job.jobId, appended: 0 });
    }
    const twice = await Promise.all(jobs.flatMap((job) => [runner.run(job.queue, job.data), runner.run(job.queue, job.data)]));
    expect(twice.map((o) => o.appended)).toEqual(twice.map(() => 0));

    await waitForIdle(t);
    const after = await t.api.feed();
    expect(after.length).toBe(before.length);
    expect(after[after.length - 1].hash).toBe(before[before.length - 1].hash);
    expect(attachmentsIn(after, pledgeId, reports[0])).toHaveLength(1);
    expect(attachmentsIn(after, pledgeId, reports[1])).toHaveLength(1);
    const view = await t.api.claim(pledgeId);
    expect(view.statusHistory.map((h) => h.status)).toEqual(['unverified', 'contradicted', 'refuted', 'contradicted']);
  });
});

describe('redelivery through BullMQ', () => {
  let t: JobsTestApp;
  let queues: ReturnType<typeof openQueues>;

  beforeAll(async () => {
    t = await bootJobsApp('bullmq', prefixes);
    queues = openQueues(t.prefix!);
  });

  afterAll(async () => {
    await queues?.close();
    await t?.close();
  });

  it('the same job data added again under a new job id completes with nothing appended, and the feed is unchanged', async () => {
    await settledScenario(t.api);
    await waitForIdle(t);
    const before = await t.api.feed();
    const jobs = before.flatMap(planJobs);
    expect(jobs.length).toBeGreaterThanOrEqual(5);

    const again = jobs.map((job) => ({ queue: queues.queues.get(job.queue)!, jobId: `again-${randomUUID()}`, data: job.data }));
    for (const j of again) await j.queue.add(j.queue.name, j.data, { jobId: j.jobId });
    for (const j of again) {
      const done = await waitForJob(j.queue, j.jobId);
      expect({ job: j.jobId, result: done.returnvalue }).toEqual({ job: j.jobId, result: expect.objectContaining({ appended: 0 }) });
    }

    await waitForIdle(t);
    const after = await t.api.feed();
    expect(after.length).toBe(before.length);
    expect(await t.api.verifyLedger()).toEqual(expect.objectContaining({ ok: true, checked: before.length }));
  });

  it('the same job id added again is ignored by BullMQ (deterministic ids): no second run', async () => {
    const claimId = await t.api.createClaim(crimeaClaimBody());
    await t.api.postEvidence(claimId, evidenceBody());
    await t.api.waitForStatus(claimId, 'contradicted');
    await waitForIdle(t);
    const feed = await t.api.feed();
    const planned = feed.flatMap(planJobs).pop()!;
    const queue = queues.queues.get(planned.queue)!;
    const first = await waitForJob(queue, planned.jobId);
    await queue.add(queue.name, planned.data, { jobId: planned.jobId });
    const same = await queue.getJob(planned.jobId);
    expect(same?.finishedOn).toBe(first.finishedOn);
    expect(same?.attemptsMade).toBe(first.attemptsMade);
    await waitForIdle(t);
    expect((await t.api.feed()).length).toBe(feed.length);
  });
});

describe('a job run by hand, then delivered by BullMQ', () => {
  let t: JobsTestApp;
  let workers: BullMqWorkers | null = null;

  beforeAll(async () => {
    // The dispatcher enqueues, but this process runs no workers: the jobs wait in Redis.
    t = await bootJobsApp('bullmq', prefixes, { runWorkers: false });
  });

  afterAll(async () => {
    await workers?.close();
    await t?.close();
  });

  it('appends on the first run only; two runs at once append once; the queued deliveries afterwards append nothing', async () => {
    const claimId = await t.api.createClaim(crimeaClaimBody());
    const e1 = await t.api.postEvidence(claimId, evidenceBody());
    const e2 = await t.api.postEvidence(claimId, evidenceBody({ stance: 'supports', reliability: 'A', credibility: 1, source: { url: 'https://example.net/x' } }));
    await waitForDispatched(t); // handed to Redis, none run
    expect((await t.api.claim(claimId)).status).toBe('unverified');

    const jobs = (await t.api.feed()).flatMap(planJobs);
    const job1 = jobs.find((j) => j.data.evidenceId === e1)!;
    const job2 = jobs.find((j) => j.data.evidenceId === e2)!;
    const runner = t.app.get<JobRunner>(JOB_RUNNER);

    const firstRun = await runner.run(job1.queue, job1.data);
    expect(firstRun.appended).toBe(2); // EvidenceAttached + VerificationStatusChanged (→ contradicted)
    const secondRun = await runner.run(job1.queue, job1.data);
    expect(secondRun.appended).toBe(0);
    expect((await t.api.claim(claimId)).status).toBe('contradicted');

    // Two deliveries racing each other: exactly one of them appends.
    const raced = await Promise.all([runner.run(job2.queue, job2.data), runner.run(job2.queue, job2.data)]);
    expect(raced.map((o) => o.appended).sort()).toEqual([0, 2]); // attach + (contradicted → disputed)
    await waitForDispatched(t);
    const before = await t.api.feed();

    // Now let BullMQ deliver the jobs that were waiting all along.
    workers = new BullMqWorkers(TEST_REDIS_URL, t.prefix!, runner, { concurrency: 4, lockDurationMs: 5_000, stalledIntervalMs: 5_000 });
    await waitFor('the queued jobs to complete', async () => workers!.completed, (n) => n >= 2);
    await waitForIdle(t);
    expect(workers.failed).toBe(0);
    const after = await t.api.feed();
    expect(after.length).toBe(before.length);
    expect(attachmentsIn(after, claimId, e1)).toHaveLength(1);
    expect(attachmentsIn(after, claimId, e2)).toHaveLength(1);
    const view = await t.api.claim(claimId);
    expect(view.status).toBe('disputed');
    expect(view.statusHistory.map((h) => h.status)).toEqual(['unverified', 'contradicted', 'disputed']);
  });
});

describe.each(RUN_MODES)('re-dispatch after a restart that lost the checkpoint, %s mode', (mode: RunMode) => {
  const prefix = prefixes.next();
  let temp: ReturnType<typeof tempDbPath>;
  let t: JobsTestApp | null = null;

  beforeAll(() => {
    temp = tempDbPath('claim-ledger-redispatch-');
  });

  afterAll(async () => {
    await t?.close();
    temp?.cleanup();
  });

  it('every job of the log is handed over again and nothing new is appended', async () => {
    t = await bootJobsApp(mode, prefixes, { dbPath: temp.dbPath, prefix });
    const { pledgeId } = await settledScenario(t.api);
    await waitForIdle(t);
    const before = await t.api.feed();
    await t.close();
    t = null;

    // Forget the dispatcher's progress, as if it had crashed before saving it.
    const ds = new DataSource({ type: 'sqlite', database: temp.dbPath });
    await ds.initialize();
    await ds.query('DELETE FROM checkpoints WHERE name = ?', [DISPATCHER_CHECKPOINT]);
    await ds.destroy();

    t = await bootJobsApp(mode, prefixes, { dbPath: temp.dbPath, prefix });
    await waitForIdle(t);
    const after = await t.api.feed();
    expect(after.length).toBe(before.length);
    expect((await t.api.claim(pledgeId)).statusHistory.map((h) => h.status)).toEqual(['unverified', 'contradicted', 'refuted', 'contradicted']);
    expect(await t.api.verifyLedger()).toEqual(expect.objectContaining({ ok: true }));
  });
});
