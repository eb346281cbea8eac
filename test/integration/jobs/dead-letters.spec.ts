import { randomUUID } from 'node:crypto';
import { copyFileSync, rmSync } from 'node:fs';
import { UnrecoverableError } from 'bullmq';
import IORedis from 'ioredis';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { BullMqWorkers } from '../../../src/jobs/bullmq';
import { DeadLetterStore } from '../../../src/jobs/dead-letters';
import { InlineJobSink } from '../../../src/jobs/inline-sink';
import { QueueNames, planJobs } from '../../../src/jobs/job-plan';
import { JOB_RUNNER, type JobRunner } from '../../../src/jobs/job-runner';
import { readCheckpoint } from '../../../src/jobs/checkpoints';
import { DISPATCHER_CHECKPOINT, LogDispatcher } from '../../../src/jobs/log-dispatcher';
import { EventStore } from '../../../src/ledger/event-store';
import { TEST_ON_POSTGRES, bearer, createKey, crimeaClaimBody, evidenceBody, tempDbPath } from '../../support/app';
import {
  PrefixLedger,
  attachmentsIn,
  bootJobsApp,
  freePort,
  startRedisServer,
  waitFor,
  waitForDispatched,
  waitForIdle,
  type Child,
  type JobsTestApp,
} from '../../support/jobs';

/**
 * Dead letters and the dispatcher's "finished" watermark (issue 15.17), on real Redis and SQLite:
 * a job that fails for good is recorded and passed, and an admin's retry finishes it under the
 * same job id; a Redis emptied under a backlog and a database restored behind the same Redis both
 * end with every attachment made exactly once and the right statuses.
 */

jest.setTimeout(120_000);
const prefixes = new PrefixLedger('jobs-dead-letters');
afterAll(() => prefixes.cleanup());

const FAST_WORKERS = { concurrency: 4, lockDurationMs: 30_000, stalledIntervalMs: 30_000 };

interface DeadLetterBody {
  id: string;
  queue: string;
  position: number;
  state: string;
  attempts: number;
  lastError: string;
  data: { position: number; claimId?: string; evidenceId?: string };
}

async function deadLetters(t: JobsTestApp, state = 'all'): Promise<DeadLetterBody[]> {
  const res = await request(t.http).get(`/api/admin/dead-letters?state=${state}`).set(bearer(t.adminKey));
  if (res.status !== 200) throw new Error(`GET /api/admin/dead-letters answered ${res.status}: ${res.text}`);
  return res.body.items as DeadLetterBody[];
}

const watermark = (t: JobsTestApp): Promise<number> => readCheckpoint(t.app.get(DataSource), DISPATCHER_CHECKPOINT);

/** The app's runner, except that attach jobs for `poisoned` claims fail for good (the cause an admin fixes before retrying). */
function poisonableRunner(t: JobsTestApp, poisoned: Set<string>): JobRunner {
  const runner = t.app.get<JobRunner>(JOB_RUNNER);
  return {
    run: (queue, data) =>
      queue === QueueNames.attach && data.claimId && poisoned.has(data.claimId)
        ? Promise.reject(new UnrecoverableError(`the claim service refused claim ${data.claimId} (simulated)`))
        : runner.run(queue, data),
  };
}

describe('a job that fails for good (BullMQ)', () => {
  let t: JobsTestApp;
  let workers: BullMqWorkers;
  const poisoned = new Set<string>();

  beforeAll(async () => {
    t = await bootJobsApp('bullmq', prefixes, { runWorkers: false });
    workers = new BullMqWorkers(t.config.redisUrl!, t.prefix!, poisonableRunner(t, poisoned), FAST_WORKERS);
  });

  afterAll(async () => {
    await workers?.close();
    await t?.close();
  });

  it('becomes a dead letter, the watermark passes it and later jobs finish; a retry finishes it once', async () => {
    const poisonedClaim = await t.api.createClaim(crimeaClaimBody());
    poisoned.add(poisonedClaim);
    const deadPiece = await t.api.postEvidence(poisonedClaim, evidenceBody());
    const attach = (await t.api.feed()).flatMap(planJobs).find((j) => j.data.evidenceId === deadPiece)!;

    const [letter] = await waitFor('the dead letter', () => deadLetters(t), (items) => items.length === 1, { timeoutMs: 30_000 });
    expect(letter).toMatchObject({
      id: attach.jobId,
      queue: 'evidence-attach',
      position: attach.data.position,
      state: 'dead',
      attempts: 1,
      data: { claimId: poisonedClaim, evidenceId: deadPiece, position: attach.data.position },
    });
    expect(letter.lastError).toContain('refused claim');

    // Later work goes on, and the finished watermark moves past the dead letter.
    const laterClaim = await t.api.createClaim(crimeaClaimBody());
    const laterPiece = await t.api.postEvidence(laterClaim, evidenceBody());
    await t.api.waitForStatus(laterClaim, 'contradicted', { timeoutMs: 30_000 });
    const laterPosition = (await t.api.feed()).find((e) => e.type === 'EvidenceSubmitted' && e.streamId === `evidence-${laterPiece}`)!.position;
    await waitFor('the finished watermark to pass the dead letter', () => watermark(t), (w) => w >= laterPosition, { timeoutMs: 30_000 });
    expect((await t.api.claim(poisonedClaim)).status).toBe('unverified');

    // Visible on /health (degraded, not down), /metrics and the queue board.
    const health = await request(t.http).get('/health').set(bearer(t.adminKey));
    expect(health.status).toBe(200);
    expect(health.body.details.deadLetters).toMatchObject({ status: 'up', count: 1, degraded: true });
    const metrics = await request(t.http).get('/metrics').set(bearer(t.adminKey));
    expect(metrics.text).toMatch(/^jobs_dead_letters\{state="dead"\} 1$/m);
    const board = await request(t.http).get(`/queues/api/queues/evidence-attach/${attach.jobId}`).set(bearer(t.adminKey));
    expect(board.status).toBe(200);
    expect(JSON.stringify(board.body)).toContain('refused claim');

    // Who may retry, and what a wrong id answers.
    const viewer = await createKey(t, 'viewer');
    expect((await request(t.http).post(`/api/admin/dead-letters/${attach.jobId}/retry`).set(bearer(viewer.key))).status).toBe(403);
    const unknown = await request(t.http).post(`/api/admin/dead-letters/evidence-attach_000000000000_1/retry`).set(bearer(t.adminKey));
    expect(unknown.status).toBe(404);
    expect(unknown.headers['content-type']).toContain('application/problem+json');
    const bad = await request(t.http).post('/api/admin/dead-letters/not-a-job-id!/retry').set(bearer(t.adminKey));
    expect(bad.status).toBe(400);
    expect(bad.body.errors).toEqual([expect.objectContaining({ field: 'id' })]);
    const badState = await request(t.http).get('/api/admin/dead-letters?state=gone').set(bearer(t.adminKey));
    expect(badState.status).toBe(400);
    expect(badState.body.errors).toEqual([expect.objectContaining({ field: 'state' })]);

    // The cause is fixed; an admin retries: the same job runs again and attaches the piece once.
    poisoned.delete(poisonedClaim);
    const retried = await request(t.http).post(`/api/admin/dead-letters/${attach.jobId}/retry`).set(bearer(t.adminKey));
    expect(retried.status).toBe(202);
    expect(retried.body).toMatchObject({ id: attach.jobId, state: 'retrying' });
    const again = await request(t.http).post(`/api/admin/dead-letters/${attach.jobId}/retry`).set(bearer(t.adminKey));
    expect([again.status, again.body.state]).toEqual([202, 'retrying']); // a second click changes nothing
    await t.api.waitForStatus(poisonedClaim, 'contradicted', { timeoutMs: 30_000 });
    await waitFor('the dead letter to be resolved', () => deadLetters(t), (items) => items[0]?.state === 'resolved', { timeoutMs: 30_000 });
    expect(attachmentsIn(await t.api.feed(), poisonedClaim, deadPiece)).toHaveLength(1);
    const resolvedRetry = await request(t.http).post(`/api/admin/dead-letters/${attach.jobId}/retry`).set(bearer(t.adminKey));
    expect(resolvedRetry.status).toBe(409);
    const healthAfter = await request(t.http).get('/health').set(bearer(t.adminKey));
    expect(healthAfter.body.details.deadLetters).toMatchObject({ status: 'up', count: 0, degraded: false });
  });
});

describe('a job that fails for good (in-process, no Redis)', () => {
  let t: JobsTestApp;

  beforeAll(async () => {
    t = await bootJobsApp('inline', prefixes);
  });

  afterAll(async () => {
    await t?.close();
  });

  it('a handler that throws on every attempt leaves a dead letter, and the checkpoint and later jobs go on', async () => {
    // A piece of evidence on the log with no stance (written past the API's validation): its attach job can never succeed.
    const claimId = await t.api.createClaim(crimeaClaimBody());
    const evidenceId = randomUUID();
    const body = evidenceBody();
    const { stance: _stance, ...noStance } = body as Record<string, unknown>;
    await t.app.get(EventStore).append({
      streamId: `evidence-${evidenceId}`,
      expectedVersion: 0,
      events: [{ type: 'EvidenceSubmitted', data: { ...noStance, claimId } }],
      metadata: { actor: { kind: 'system', name: 'dead-letter-test' }, correlationId: 'dead-letter-test' },
    } as never);
    const [letter] = await waitFor('the dead letter', () => deadLetters(t), (items) => items.length === 1, { timeoutMs: 30_000 });
    expect(letter).toMatchObject({ queue: 'evidence-attach', state: 'dead', attempts: 5, data: { claimId, evidenceId } });
    expect(letter.lastError).toContain('has no stance');

    const later = await t.api.createClaim(crimeaClaimBody());
    await t.api.postEvidence(later, evidenceBody());
    await t.api.waitForStatus(later, 'contradicted');
    await waitForIdle(t);
    expect((await t.app.get(LogDispatcher).status()).lag).toBe(0);
    expect((await request(t.http).get('/health').set(bearer(t.adminKey))).body.details.deadLetters).toMatchObject({ count: 1, degraded: true });

    // Retried while the cause remains: it runs its attempts again and is dead again, attempts added.
    expect((await request(t.http).post(`/api/admin/dead-letters/${letter.id}/retry`).set(bearer(t.adminKey))).status).toBe(202);
    await waitFor('the retry to fail again', () => deadLetters(t), (items) => items[0]?.state === 'dead' && items[0].attempts === 10, { timeoutMs: 30_000 });
  });

  it('a retry whose cause was fixed resolves the dead letter', async () => {
    let broken = true;
    const runner = t.app.get<JobRunner>(JOB_RUNNER);
    const sink = new InlineJobSink(
      { run: (queue, data) => (broken ? Promise.reject(new Error('simulated outage')) : runner.run(queue, data)) },
      t.app.get(DeadLetterStore),
      1,
    );
    const claimId = await t.api.createClaim(crimeaClaimBody());
    const job = { queue: QueueNames.matchPledge, jobId: `pledge-match_${'a'.repeat(12)}_999999`, data: { position: 999_999, correlationId: 'c', claimId } };
    await sink.deliver([job]);
    const store = t.app.get(DeadLetterStore);
    expect(await store.get(job.jobId)).toMatchObject({ state: 'dead', attempts: 5, lastError: 'simulated outage' });
    broken = false;
    expect(await store.markRetrying(job.jobId)).toBe(true);
    await sink.retry((await store.get(job.jobId))!);
    await sink.close(); // waits for the retry
    expect(await store.get(job.jobId)).toMatchObject({ state: 'resolved', retries: 1 });
  });
});

describe('Redis emptied under a backlog', () => {
  let redis: Child;
  let t: JobsTestApp;
  let workers: BullMqWorkers | null = null;

  beforeAll(async () => {
    const port = await freePort();
    redis = await startRedisServer(port);
    t = await bootJobsApp('bullmq', prefixes, { runWorkers: false, redisUrl: `redis://127.0.0.1:${port}/0` });
  });

  afterAll(async () => {
    await workers?.close();
    await t?.close();
    await redis?.stop();
  });

  it('the dispatcher hands over again from its checkpoint and every claim ends with the right status', async () => {
    // A backlog: jobs queued, no worker yet.
    const claims = await Promise.all(Array.from({ length: 8 }, () => t.api.createClaim(crimeaClaimBody())));
    const pieces = await Promise.all(claims.map((id) => t.api.postEvidence(id, evidenceBody())));
    const flat = new IORedis(t.config.redisUrl!, { maxRetriesPerRequest: 1 });
    try {
      await waitFor('the backlog to be in Redis', async () => (await flat.keys(`${t.prefix}:evidence-attach:*`)).length, (n) => n >= pieces.length);
      expect(await watermark(t)).toBeLessThan((await t.api.feed()).length);
      await flat.flushdb();
      expect(await flat.keys(`${t.prefix}:evidence-attach:*`)).toEqual([]);
    } finally {
      flat.disconnect();
    }
    workers = new BullMqWorkers(t.config.redisUrl!, t.prefix!, t.app.get<JobRunner>(JOB_RUNNER), FAST_WORKERS);
    for (const id of claims) await t.api.waitForStatus(id, 'contradicted', { timeoutMs: 30_000 });
    await waitForIdle(t, 30_000);
    const feed = await t.api.feed();
    claims.forEach((id, i) => expect(attachmentsIn(feed, id, pieces[i])).toHaveLength(1));
    await waitFor('the finished watermark to reach the head', () => watermark(t), (w) => w >= feed.length - 1, { timeoutMs: 30_000 });
  });
});

describe('a database restored from an older copy behind the same Redis', () => {
  it('runs again the jobs whose work the copy lacks: every attachment once, every status right', async () => {
    if (TEST_ON_POSTGRES) return; // the copy is an SQLite file (VACUUM INTO)
    const { dbPath, cleanup } = tempDbPath();
    const copyPath = `${dbPath}.copy`;
    const prefix = prefixes.next();
    let workers: BullMqWorkers | null = null;
    try {
      // First life: a piece of evidence is logged and its attach job queued; the database is copied
      // (the backup) before the job runs; then the job runs and the piece is attached.
      let t = await bootJobsApp('bullmq', prefixes, { prefix, dbPath, runWorkers: false });
      const claimId = await t.api.createClaim(crimeaClaimBody());
      const pieceId = await t.api.postEvidence(claimId, evidenceBody());
      await waitForDispatched(t);
      await t.app.get(DataSource).query('VACUUM INTO ?', [copyPath]);
      workers = new BullMqWorkers(t.config.redisUrl!, prefix, t.app.get<JobRunner>(JOB_RUNNER), FAST_WORKERS);
      await t.api.waitForStatus(claimId, 'contradicted');
      await waitForIdle(t);
      await workers.close();
      workers = null;
      await t.close();

      // The backup comes back behind the same Redis, which remembers that attach job as done.
      for (const suffix of ['', '-wal', '-shm']) rmSync(`${dbPath}${suffix}`, { force: true });
      copyFileSync(copyPath, dbPath);
      t = await bootJobsApp('bullmq', prefixes, { prefix, dbPath });
      try {
        expect(attachmentsIn(await t.api.feed(), claimId, pieceId)).toHaveLength(0); // the copy lacks the attachment
        await t.api.waitForStatus(claimId, 'contradicted', { timeoutMs: 30_000 });
        // New work at the positions the lost events had (new hashes, new job ids) is done once too.
        const other = await t.api.createClaim(crimeaClaimBody());
        const otherPiece = await t.api.postEvidence(other, evidenceBody());
        await t.api.waitForStatus(other, 'contradicted', { timeoutMs: 30_000 });
        await waitForIdle(t, 30_000);
        const feed = await t.api.feed();
        expect(attachmentsIn(feed, claimId, pieceId)).toHaveLength(1);
        expect(attachmentsIn(feed, other, otherPiece)).toHaveLength(1);
        expect(feed.filter((e) => e.type === 'VerificationStatusChanged')).toHaveLength(2);
        expect((await t.api.verifyLedger()).ok).toBe(true);
      } finally {
        await t.close();
      }
    } finally {
      await workers?.close();
      rmSync(copyPath, { force: true });
      cleanup();
    }
  });
});
