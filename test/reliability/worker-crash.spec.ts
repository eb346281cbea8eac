import type { Job } from 'bullmq';
import type { StoredEvent } from '../../src/domain/events';
import type { QueueName } from '../../src/jobs/job-plan';
import { crimeaClaimBody, evidenceBody, pledgeBody, reportBody } from '../support/app';
import { uniquePrefix } from '../support/redis';
import { Client, expectStatus, seen } from './support/client';
import { attachmentCounts, checkVerdict, feed, openQueues, plannedJobs, pool, settle, until, verify } from './support/ledger';
import { ServiceProcess, ThrowawayRedis, startWorkerProcess, tempDir, type Child } from './support/service';
import { count, note, writeSummary } from './support/summary';

/**
 * Worker processes (`node dist/worker.js`) under `node dist/main.js` (RUN_WORKERS=false), on one
 * SQLite file and a throwaway Redis: one is SIGKILLed with jobs in flight and another picks the
 * stalled jobs up; jobs delivered a second time change nothing; two workers racing on one claim,
 * with retractions mixed in, never lose an attachment or leave a wrong status.
 */

jest.setTimeout(180_000);

/** Short locks: a killed worker's jobs are found stalled and taken over within a couple of seconds. */
const FAST_STALL = { JOB_LOCK_DURATION_MS: '1500', JOB_STALLED_INTERVAL_MS: '500' };

const dir = tempDir('workers');
const prefix = uniquePrefix('rel-workers');
const workers: Child[] = [];
let redis: ThrowawayRedis;
let service: ServiceProcess;
let admin: Client;
let queues: ReturnType<typeof openQueues>;

beforeAll(async () => {
  redis = await ThrowawayRedis.start();
  service = await ServiceProcess.start({
    dbPath: dir.file(),
    redisUrl: redis.url,
    queuePrefix: prefix,
    runWorkers: false,
    logLevel: 'error',
    env: { RATE_LIMIT_PER_MINUTE: '1000000' },
  });
  admin = new Client(service.base, service.adminKey);
  queues = openQueues(prefix, redis.url);
});

afterAll(async () => {
  admin?.close();
  await Promise.all(workers.map((w) => w.stop()));
  await queues?.close();
  await service?.stop();
  await redis?.stop();
  dir.remove();
  writeSummary(__filename);
  expect(seen.serverErrors).toEqual([]);
});

const startWorker = async (env: Record<string, string>): Promise<Child> => {
  const w = await startWorkerProcess({ dbPath: dir.file(), prefix, redisUrl: redis.url, env: { ...FAST_STALL, ...env } });
  workers.push(w);
  return w;
};

async function jobsOf(events: StoredEvent[]): Promise<Job[]> {
  const out: Job[] = [];
  for (const j of plannedJobs(events)) {
    const job = await queues.queues.get(j.queue)!.getJob(j.jobId);
    if (job) out.push(job);
  }
  return out;
}

describe('a worker SIGKILLed with jobs in flight', () => {
  it('another worker takes the stalled jobs over; every piece is attached exactly once', async () => {
    // The victim takes 4 jobs at a time and sits on each for 20 s before appending.
    const victim = await startWorker({ JOB_PAUSE_BEFORE_APPEND_MS: '20000', WORKER_CONCURRENCY: '4' });
    const claims = await Promise.all([0, 1, 2].map(async (i) => expectStatus(await admin.post('/api/claims', crimeaClaimBody({ statement: `Crash claim ${i}` })), 201).body.id as string));
    const pieces = await pool(
      6,
      Array.from({ length: 12 }, (_, i) => async () => {
        const claimId = claims[i % 3];
        const body = evidenceBody({ summary: `Crash piece ${i}`, stance: i % 3 ? 'contradicts' : 'supports', source: { url: `https://crash-${i % 4}.example/${i}` } });
        return { claimId, id: expectStatus(await admin.post(`/api/claims/${claimId}/evidence`, body), 202).body.evidenceId as string };
      }),
    );
    count({ writesAcknowledged: claims.length + pieces.length });
    const attachQueue = queues.queues.get('evidence-attach')!;
    await until('the victim to hold 4 jobs', () => attachQueue.getJobCounts('active'), (c) => c.active >= 4, 20_000);
    const held = (await attachQueue.getJobs(['active'])).map((j) => j.id!);

    const rescuer = await startWorker({ JOB_PAUSE_BEFORE_APPEND_MS: '100', WORKER_CONCURRENCY: '4' });
    expect(await victim.kill('SIGKILL')).toBe('SIGKILL');

    await until(
      'every piece to be attached',
      () => feed(admin),
      (events) => events.filter((e) => e.type === 'EvidenceAttached').length >= pieces.length,
      60_000,
      200,
    );
    await settle(admin, queues.queues, 60_000);
    const events = await feed(admin);
    const attachments = attachmentCounts(events);
    for (const p of pieces) expect({ piece: p.id, attached: attachments.get(`claim-${p.claimId}/${p.id}`) }).toEqual({ piece: p.id, attached: 1 });
    expect([...attachments.values()].every((n) => n === 1)).toBe(true);
    for (const id of claims) await checkVerdict(admin, id);

    // The jobs the victim held went through BullMQ's stalled-job recovery.
    const taken = await Promise.all(held.map((id) => attachQueue.getJob(id)));
    for (const job of taken) {
      expect(await job!.getState()).toBe('completed');
      expect(job!.stalledCounter).toBeGreaterThanOrEqual(1);
    }
    count({ foundAfterRecovery: claims.length + pieces.length, jobsRedelivered: taken.length });
    note(`worker SIGKILLed holding ${taken.length} jobs; all taken over by the other worker`);
    expect(rescuer.proc.exitCode).toBeNull();
    expect(await verify(admin)).toEqual(expect.objectContaining({ ok: true, checked: events.length }));
  });

  it('a job delivered a second time (re-added, retried) changes nothing', async () => {
    const before = await feed(admin);
    const done = (await jobsOf(before)).filter((j) => j.finishedOn && !j.failedReason);
    expect(done.length).toBeGreaterThan(10);
    // Half are added again under a new id (a second dispatcher, a replay), half retried in place.
    const again = await Promise.all(
      done.map(async (job, i) => {
        const queue = queues.queues.get(job.queueName as QueueName)!;
        if (i % 2 === 0) return { queue, id: (await queue.add(job.name, job.data, { jobId: `again-${job.id}` })).id! };
        await job.retry('completed');
        return { queue, id: job.id! };
      }),
    );
    for (const { queue, id } of again) {
      const job = await until(`job ${id} to run again`, () => queue.getJob(id), (j) => !!j?.finishedOn && !!j.returnvalue, 30_000, 50);
      expect(job!.returnvalue).toEqual(expect.objectContaining({ appended: 0 }));
    }
    await settle(admin, queues.queues);
    const after = await feed(admin);
    expect(after.length).toBe(before.length);
    expect(after[after.length - 1].hash).toBe(before[before.length - 1].hash);
    count({ jobsRedelivered: again.length });
  });
});

describe('two worker processes on the same claim at once, with retractions', () => {
  it('never lose an attachment or leave a wrong status', async () => {
    // Both racers are started here: the test stands on its own, whatever an earlier test left running.
    const racers = [await startWorker({ WORKER_CONCURRENCY: '8' }), await startWorker({ WORKER_CONCURRENCY: '8' })];
    await until('both racers to listen on evidence-attach', () => queues.queues.get('evidence-attach')!.getWorkersCount(), (n) => n >= 2, 30_000, 100);
    const claimId = expectStatus(await admin.post('/api/claims', crimeaClaimBody({ statement: 'Contended claim' })), 201).body.id as string;
    const pledgeId = expectStatus(await admin.post('/api/claims', pledgeBody({ statement: 'Contended pledge' })), 201).body.id as string;
    const grades = 'ABCDEF';
    const posted = await pool(
      12,
      Array.from({ length: 48 }, (_, i) => async () => {
        if (i % 6 === 5) {
          const body = reportBody({ summary: `Contended report ${i}`, reliability: grades[i % 6], credibility: (i % 6) + 1, source: { url: `https://wire-${i % 9}.example/${i}` } });
          return { id: expectStatus(await admin.post('/api/reports', body), 202).body.evidenceId as string, target: pledgeId };
        }
        const body = evidenceBody({
          summary: `Contended piece ${i}`,
          stance: i % 3 === 0 ? 'supports' : 'contradicts',
          source: { url: `https://outlet-${i % 11}.example/${i}` },
          reliability: grades[i % 6],
          credibility: (i % 6) + 1,
        });
        return { id: expectStatus(await admin.post(`/api/claims/${claimId}/evidence`, body), 202).body.evidenceId as string, target: claimId };
      }),
    );
    // Retract some while the workers are still attaching.
    const retracted = posted.filter((_, i) => i % 7 === 2);
    await pool(4, retracted.map((p) => async () => expectStatus(await admin.post(`/api/evidence/${p.id}/retract`, { reason: 'withdrawn by the outlet' }), 202)));
    count({ writesAcknowledged: 2 + posted.length + retracted.length });

    await settle(admin, queues.queues, 90_000);
    const events = await feed(admin);
    const attachments = attachmentCounts(events);
    const detached = new Map<string, number>();
    for (const e of events.filter((x) => x.type === 'EvidenceDetached')) {
      const k = `${e.streamId}/${(e.data as { evidenceId: string }).evidenceId}`;
      detached.set(k, (detached.get(k) ?? 0) + 1);
    }
    const gone = new Set(retracted.map((p) => p.id));
    let found = 0;
    for (const p of posted) {
      const k = `claim-${p.target}/${p.id}`;
      if (gone.has(p.id)) {
        // Retracted: attached at most once, and if it was, detached exactly once.
        expect({ k, attached: Math.min(attachments.get(k) ?? 0, 1) }).toEqual({ k, attached: attachments.get(k) ?? 0 });
        expect({ k, detached: detached.get(k) ?? 0 }).toEqual({ k, detached: attachments.get(k) ?? 0 });
      } else {
        expect({ k, attached: attachments.get(k) }).toEqual({ k, attached: 1 });
        found++;
      }
    }
    expect([...attachments.values()].filter((n) => n > 1)).toEqual([]);
    const claim = await checkVerdict(admin, claimId);
    const pledge = await checkVerdict(admin, pledgeId);
    const live = (view: { evidence: Array<{ evidenceId: string; attached: boolean }> }) => view.evidence.filter((e) => e.attached).map((e) => e.evidenceId).sort();
    expect(live(claim.view)).toEqual(posted.filter((p) => p.target === claimId && !gone.has(p.id)).map((p) => p.id).sort());
    expect(live(pledge.view)).toEqual(posted.filter((p) => p.target === pledgeId && !gone.has(p.id)).map((p) => p.id).sort());
    // Every acknowledged write is in the log once: the two claims, each submission, each retraction.
    const streams = (type: string) => events.filter((e) => e.type === type).map((e) => e.streamId);
    const submitted = streams('EvidenceSubmitted');
    const retractions = streams('EvidenceRetracted');
    const recorded = streams('ClaimRecorded');
    const acked = [
      ...[claimId, pledgeId].map((id) => recorded.filter((s) => s === `claim-${id}`).length),
      ...posted.map((p) => submitted.filter((s) => s === `evidence-${p.id}`).length),
      ...retracted.map((p) => retractions.filter((s) => s === `evidence-${p.id}`).length),
    ];
    expect(acked.every((n) => n === 1)).toBe(true);
    expect(found).toBe(posted.length - retracted.length);
    count({ foundAfterRecovery: acked.filter((n) => n === 1).length, duplicates: acked.filter((n) => n > 1).length });
    expect(await verify(admin)).toEqual(expect.objectContaining({ ok: true, checked: events.length }));
    for (const w of racers) expect(w.proc.exitCode).toBeNull();
  });
});
