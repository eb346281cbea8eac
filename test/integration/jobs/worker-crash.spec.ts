import type { Job } from 'bullmq';
import { QueueNames, planJobs } from '../../../src/jobs/job-plan';
import { computeVerdict, type EvidenceFact } from '../../../src/domain/verdict';
import { crimeaClaimBody, evidenceBody, tempDbPath } from '../../support/app';
import {
  PrefixLedger,
  attachmentsIn,
  bootJobsApp,
  completedJobs,
  openQueues,
  recomputeFromApi,
  startWorkerProcess,
  waitFor,
  waitForIdle,
  waitForJob,
  type Child,
  type JobsTestApp,
} from '../../support/jobs';

/**
 * Worker processes (`node dist/worker.js`, built by `npm run build`) sharing one SQLite file
 * and one queue prefix; the API process runs no workers (RUN_WORKERS=false) and only serves
 * HTTP and dispatches the log to BullMQ.
 */

const prefixes = new PrefixLedger('jobs-crash');
afterAll(() => prefixes.cleanup());

/** Short locks so a killed worker's job is found stalled and picked up within a couple of seconds. */
const FAST_STALL = { JOB_LOCK_DURATION_MS: '1500', JOB_STALLED_INTERVAL_MS: '500' };

describe('a worker process killed mid-job', () => {
  const children: Child[] = [];
  let temp: ReturnType<typeof tempDbPath>;
  let t: JobsTestApp;
  let queues: ReturnType<typeof openQueues>;

  beforeAll(async () => {
    temp = tempDbPath('claim-ledger-crash-');
    t = await bootJobsApp('bullmq', prefixes, { runWorkers: false, dbPath: temp.dbPath });
    queues = openQueues(t.prefix!);
  });

  afterAll(async () => {
    await Promise.all(children.map((c) => c.stop(10_000)));
    await queues?.close();
    await t?.close();
    temp?.cleanup();
  });

  it('SIGKILL while it pauses before appending → the other worker picks the stalled job up; exactly one attachment; the chain verifies', async () => {
    // The victim pauses long before its append, so it is certainly mid-job when killed.
    const victim = await startWorkerProcess({
      dbPath: temp.dbPath,
      prefix: t.prefix!,
      env: { ...FAST_STALL, JOB_PAUSE_BEFORE_APPEND_MS: '60000' },
    });
    children.push(victim);

    const claimId = await t.api.createClaim(crimeaClaimBody());
    const evidenceId = await t.api.postEvidence(claimId, evidenceBody());
    const planned = (await t.api.feed()).flatMap(planJobs).find((j) => j.data.evidenceId === evidenceId)!;
    expect(planned.queue).toBe(QueueNames.attach);
    const queue = queues.queues.get(planned.queue)!;
    await waitFor(
      `job ${planned.jobId} to be active in the victim`,
      async () => (await queue.getJob(planned.jobId))?.getState(),
      (s) => s === 'active',
    );

    // The second worker process joins (with the brief pause too), then the victim dies.
    const rescuer = await startWorkerProcess({
      dbPath: temp.dbPath,
      prefix: t.prefix!,
      env: { ...FAST_STALL, JOB_PAUSE_BEFORE_APPEND_MS: '1500' },
    });
    children.push(rescuer);
    expect(await queue.getJob(planned.jobId).then((j) => j?.getState())).toBe('active');
    expect((await t.api.claim(claimId)).evidence).toEqual([]); // nothing appended yet
    expect(await victim.kill('SIGKILL')).toBe('SIGKILL');

    const view = await t.api.waitForStatus(claimId, 'contradicted', { timeoutMs: 30_000 });
    expect(view.evidence).toEqual([expect.objectContaining({ evidenceId, attachedBy: 'checker', stance: 'contradicts' })]);
    const job: Job = await waitForJob(queue, planned.jobId);
    expect(job.returnvalue).toEqual(expect.objectContaining({ appended: 2 }));
    expect(job.stalledCounter).toBeGreaterThanOrEqual(1); // it went through BullMQ's stalled-job recovery
    // The rescuer did the work (its log says so); the victim never finished it.
    await rescuer.waitForOutput(new RegExp(`"evidenceId":"${evidenceId}"[^\\n]*"msg":"job completed"`), 10_000).catch(() => undefined);
    expect(completedJobs(rescuer).filter((l) => l.evidenceId === evidenceId)).toEqual([expect.objectContaining({ appended: 2 })]);
    expect(completedJobs(victim).filter((l) => l.evidenceId === evidenceId)).toEqual([]);

    await waitForIdle(t);
    const feed = await t.api.feed();
    expect(attachmentsIn(feed, claimId, evidenceId)).toHaveLength(1);
    expect(feed.filter((e) => e.type === 'VerificationStatusChanged' && e.streamId === `claim-${claimId}`)).toHaveLength(1);
    expect(await t.api.verifyLedger()).toEqual(expect.objectContaining({ ok: true, checked: feed.length }));
    expect((await t.api.evidence(evidenceId)).attachedTo).toEqual([expect.objectContaining({ claimId, attached: true })]);
  }, 90_000);
});

describe('two worker processes, many pieces of evidence for one claim at once', () => {
  const children: Child[] = [];
  let temp: ReturnType<typeof tempDbPath>;
  let t: JobsTestApp;

  beforeAll(async () => {
    temp = tempDbPath('claim-ledger-contention-');
    t = await bootJobsApp('bullmq', prefixes, { runWorkers: false, dbPath: temp.dbPath });
    children.push(
      ...(await Promise.all([
        startWorkerProcess({ dbPath: temp.dbPath, prefix: t.prefix!, env: { ...FAST_STALL, WORKER_CONCURRENCY: '8' } }),
        startWorkerProcess({ dbPath: temp.dbPath, prefix: t.prefix!, env: { ...FAST_STALL, WORKER_CONCURRENCY: '8' } }),
      ])),
    );
  }, 90_000);

  afterAll(async () => {
    await Promise.all(children.map((c) => c.stop(10_000)));
    await t?.close();
    temp?.cleanup();
  });

  it('every piece is attached exactly once and the final status is verdict-v1 over all of them', async () => {
    const claimId = await t.api.createClaim(crimeaClaimBody());
    const grades = ['A', 'B', 'C', 'D', 'E', 'F'] as const;
    const bodies = Array.from({ length: 40 }, (_, i) =>
      evidenceBody({
        stance: i % 3 === 0 ? 'supports' : 'contradicts',
        summary: `Observation ${i} about Crimea.`,
        // 12 publishers, so independence matters: several pieces share one.
        source: { url: `https://outlet-${i % 12}.example/crimea/${i}` },
        reliability: grades[i % 6],
        credibility: (i % 6) + 1,
      }),
    );
    // Both processes are live workers on the queue before the pieces arrive (how the jobs then split
    // between them is the scheduler's business: a busy machine may give one of them nearly all).
    const { queues, close } = openQueues(t.prefix!);
    try {
      await waitFor('both worker processes to listen on evidence-attach', () => queues.get(QueueNames.attach)!.getWorkersCount(), (n) => n >= 2, {
        timeoutMs: 30_000,
        intervalMs: 100,
      });
    } finally {
      await close();
    }
    const ids = await Promise.all(bodies.map((b) => t.api.postEvidence(claimId, b)));

    await waitFor(
      'all 40 pieces to be attached',
      () => t.api.claim(claimId),
      (c) => c.evidence.length === ids.length,
      { timeoutMs: 30_000, intervalMs: 100 },
    );
    await waitForIdle(t, 30_000);

    const feed = await t.api.feed();
    for (const id of ids) expect({ id, attached: attachmentsIn(feed, claimId, id).length }).toEqual({ id, attached: 1 });

    const facts: EvidenceFact[] = ids.map((id, i) => ({
      evidenceId: id,
      stance: bodies[i].stance as EvidenceFact['stance'],
      reliability: bodies[i].reliability as EvidenceFact['reliability'],
      credibility: bodies[i].credibility as EvidenceFact['credibility'],
      source: bodies[i].source as EvidenceFact['source'],
    }));
    const expected = computeVerdict(facts);
    const view = await t.api.claim(claimId);
    expect({ status: view.status, ...view.verdict }).toEqual({
      status: expected.status,
      support: expected.support,
      contradict: expected.contradict,
      basis: expected.basis,
      rule: 'verdict-v1',
    });
    expect(view.evidence.map((e) => e.evidenceId).sort()).toEqual([...ids].sort());
    // Replaying the claim's events (each recorded status change checked against verdict-v1 over
    // what was attached at that point) ends at verdict-v1 over all 40 pieces.
    const replay = await recomputeFromApi(t.api, claimId);
    expect(replay.verdict).toEqual(expected);
    expect(await t.api.verifyLedger()).toEqual(expect.objectContaining({ ok: true, checked: feed.length }));
    for (const c of children) expect(c.proc.exitCode).toBeNull(); // both still running
    // Between the two processes every piece was attached by exactly one job run (none by both).
    const attachedBy = children.map((c) => completedJobs(c).filter((l) => l.claimId === claimId && (l.appended ?? 0) > 0).map((l) => l.evidenceId));
    expect(attachedBy.flat().sort()).toEqual([...ids].sort());
  }, 90_000);
});
