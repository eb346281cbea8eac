import { randomUUID } from 'node:crypto';
import { readModelProjectors } from '../../../src/projections';
import * as sqlite3 from 'sqlite3';
import { BullMqWorkers } from '../../../src/jobs/bullmq';
import { QueueNames, planJobs } from '../../../src/jobs/job-plan';
import { JOB_RUNNER, type JobRunner } from '../../../src/jobs/job-runner';
import { verifyChain } from '../../../src/ledger/chain-verifier';
import { EventStore } from '../../../src/ledger/event-store';
import { LedgerReader } from '../../../src/ledger/ledger-reader';
import { crimeaClaimBody, evidenceBody } from '../../support/app';
import { TEST_REDIS_URL, deleteKeysWithPrefix } from '../../support/redis';
import { PrefixLedger, bootJobsApp, openQueues, sleep, waitFor, waitForDispatched, type JobsTestApp } from '../../support/jobs';

/**
 * How jobs reach BullMQ and how the API and the workers share the SQLite file's write lock:
 * the dispatcher hands a commit's jobs over straight away (before it reads the log), and the
 * hand-over position still only moves after a read of the log, so a Redis that loses them gets
 * them again; writers on one file wait for each other's lock and every append lands.
 */

const prefixes = new PrefixLedger('jobs-hand-over');
afterAll(() => prefixes.cleanup());

describe('hand-over straight from the commit (BullMQ, no workers yet)', () => {
  let t: JobsTestApp;

  beforeAll(async () => {
    t = await bootJobsApp('bullmq', prefixes, { runWorkers: false });
  });

  afterAll(async () => {
    await t?.close();
  });

  it('queues the job, hands it over again when Redis loses it before it ran, and the workers then attach it once', async () => {
    const claimId = await t.api.createClaim(crimeaClaimBody());
    const evidenceId = await t.api.postEvidence(claimId, evidenceBody());
    const attach = (await t.api.feed()).flatMap(planJobs).find((j) => j.queue === QueueNames.attach && j.data.evidenceId === evidenceId)!;
    expect(attach).toBeDefined();
    const { queues, close } = openQueues(t.prefix!);
    try {
      const queue = queues.get(QueueNames.attach)!;
      await waitFor('the attach job to be queued', () => queue.getJob(attach.jobId), (job) => job !== undefined);
      await waitForDispatched(t);

      // Redis loses everything of this deployment (say, restarted without its data).
      await deleteKeysWithPrefix(t.prefix!);
      expect(await queue.getJob(attach.jobId)).toBeUndefined();
      await waitFor('the attach job to be handed over again', () => queue.getJob(attach.jobId), (job) => job !== undefined);

      const workers = new BullMqWorkers(TEST_REDIS_URL, t.prefix!, t.app.get<JobRunner>(JOB_RUNNER), {
        concurrency: 2,
        lockDurationMs: 30_000,
        stalledIntervalMs: 30_000,
      });
      try {
        const view = await t.api.waitForStatus(claimId, 'contradicted');
        expect(view.evidence).toEqual([expect.objectContaining({ evidenceId, attachedBy: 'checker' })]);
      } finally {
        await workers.close();
      }
      const attached = (await t.api.feed()).filter((e) => e.type === 'EvidenceAttached' && (e.data as { evidenceId: string }).evidenceId === evidenceId);
      expect(attached).toHaveLength(1);
    } finally {
      await close();
    }
  });

  it('commits in quick succession each get their job, and the hand-over position catches up with the log', async () => {
    const claims = await Promise.all(Array.from({ length: 12 }, () => t.api.createClaim(crimeaClaimBody())));
    const pieces = await Promise.all(claims.map((id) => t.api.postEvidence(id, evidenceBody())));
    const planned = (await t.api.feed()).flatMap(planJobs).filter((j) => j.queue === QueueNames.attach && pieces.includes(j.data.evidenceId!));
    expect(planned).toHaveLength(pieces.length);
    const { queues, close } = openQueues(t.prefix!);
    try {
      const queue = queues.get(QueueNames.attach)!;
      for (const job of planned) await waitFor(`job ${job.jobId} to be queued`, () => queue.getJob(job.jobId), (j) => j !== undefined);
      await waitForDispatched(t);
    } finally {
      await close();
    }
  });
});

describe('writers in several processes on one SQLite file', () => {
  let t: JobsTestApp;

  beforeAll(async () => {
    t = await bootJobsApp('inline', prefixes);
  });

  afterAll(async () => {
    await t?.close();
  });

  const metadata = { actor: { kind: 'system' as const, name: 'lock-test' }, correlationId: 'lock-test' };
  const noteOn = (store: EventStore, stream: string) =>
    store.append({ streamId: stream, expectedVersion: 'any', events: [{ type: 'LockTestNoted', data: { n: randomUUID() } }], metadata } as never);

  it('an append waits while another connection holds the write lock, then goes in; concurrent writers keep one gap-free chain', async () => {
    if (t.config.databaseUrl) return; // SQLite's file lock; PostgreSQL serialises with an advisory lock
    // Another process of the service: the same projectors (read models and the Merkle tree) as the app's.
    const other = await EventStore.open(t.dbPath);
    for (const projector of readModelProjectors()) other.registerProjector(projector);
    const holder = new sqlite3.Database(t.dbPath);
    try {
      // Another process holds the write lock for a while (here, a raw connection in a transaction).
      await new Promise<void>((resolve, reject) => holder.exec('BEGIN IMMEDIATE', (err) => (err ? reject(err) : resolve())));
      let landed = false;
      const waiting = noteOn(other, `lock-${randomUUID()}`).then((r) => ((landed = true), r));
      await sleep(300);
      expect(landed).toBe(false);
      await new Promise<void>((resolve, reject) => holder.exec('COMMIT', (err) => (err ? reject(err) : resolve())));
      await expect(waiting).resolves.toEqual(expect.objectContaining({ version: 1 }));

      // Two writers (the app's and another) appending at once: every append lands, positions stay gap-free.
      const mine = t.app.get(EventStore);
      const streams = Array.from({ length: 4 }, () => `lock-${randomUUID()}`);
      const results = await Promise.all(
        Array.from({ length: 60 }, (_, i) => noteOn(i % 2 ? mine : other, streams[i % streams.length])),
      );
      const positions = results.map((r) => r.position).sort((a, b) => a - b);
      expect(new Set(positions).size).toBe(60);
      const report = await verifyChain(t.app.get(LedgerReader));
      expect(report.ok).toBe(true);
    } finally {
      await new Promise((r) => holder.close(r));
      await other.close();
    }
  });
});
