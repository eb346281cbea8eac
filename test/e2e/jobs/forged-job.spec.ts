import IORedis from 'ioredis';
import { Queue } from 'bullmq';
import { QueueNames } from '../../../src/verification/job-kinds';
import { TEST_SIGNING_SEED, crimeaClaimBody, evidenceBody } from '../../support/app';
import { Api, attachmentsIn, freePort, startRedisServer, waitFor, waitForJob, type Child } from '../../support/jobs';
import { bootOpsApp, type OpsTestApp } from '../ops/helpers';

/**
 * Issue 16 item 10, on a Redis that asks for a password (as the compose file's does):
 * - the service takes the password from REDIS_URL (redis://:password@host:port/db): its queues,
 *   workers and rate limits work, while a client without it is refused;
 * - a job's data is not trusted: an evidence-attach job added straight to BullMQ that names
 *   another claim than the evidence's own is dropped (nothing appended, no retry), logged as a
 *   warning and counted in jobs_dropped_total.
 */
jest.setTimeout(60_000);

const PASSWORD = 'forged-job-test-secret';
let redis: Child;
let url: string;
let t: OpsTestApp;
let api: Api;

beforeAll(async () => {
  const port = await freePort();
  redis = await startRedisServer(port, { requirepass: PASSWORD });
  url = `redis://:${PASSWORD}@127.0.0.1:${port}/0`;
  t = await bootOpsApp({ redisUrl: url, queuePrefix: 'cl-forged', runWorkers: true, pollIntervalMs: 50, ledgerSigningKey: TEST_SIGNING_SEED }, { logLevel: 'warn' });
  api = new Api(t.http, t.adminKey);
});

afterAll(async () => {
  await t?.close();
  await redis?.stop();
});

it('Redis asks for the password: a client without it is refused', async () => {
  const { hostname, port } = new URL(url);
  const anonymous = new IORedis({ host: hostname, port: Number(port), lazyConnect: true, enableReadyCheck: false, maxRetriesPerRequest: 1, retryStrategy: () => null });
  const refusals: string[] = [];
  anonymous.on('error', (err: Error) => refusals.push(err.message));
  try {
    // ioredis reports the server's NOAUTH as an error event, then the connection closes.
    await anonymous.connect().then(() => anonymous.ping()).catch((err: Error) => refusals.push(err.message));
    expect(refusals.join('\n')).toMatch(/NOAUTH/);
  } finally {
    anonymous.disconnect();
  }
});

it('a forged attach job (evidence of claim A, naming claim B) is dropped: nothing appended, not retried, logged and counted', async () => {
  const a = await api.createClaim(crimeaClaimBody({ statement: 'Claim A' }));
  const b = await api.createClaim(crimeaClaimBody({ statement: 'Claim B' }));
  const evidenceId = await api.postEvidence(a, evidenceBody({ stance: 'contradicts' }));
  // The genuine job ran through the password-protected Redis.
  await api.waitForEvidence(a, [evidenceId], { timeoutMs: 20_000 });

  const connection = new IORedis(url, { maxRetriesPerRequest: null });
  const queue = new Queue(QueueNames.attach, { connection, prefix: 'cl-forged' });
  try {
    await queue.add(QueueNames.attach, { position: 1, correlationId: 'forged-by-test', evidenceId, claimId: b }, { jobId: 'forged-1', attempts: 8 });
    const job = await waitForJob(queue, 'forged-1', 20_000);
    expect(job.attemptsMade).toBe(1);
    expect(job.returnvalue).toMatchObject({ appended: 0, dropped: `evidence ${evidenceId} was submitted for claim ${a}, not claim ${b}` });
  } finally {
    await queue.close();
    await connection.quit();
  }

  const feed = await api.feed();
  expect(attachmentsIn(feed, b, evidenceId)).toEqual([]);
  expect(attachmentsIn(feed, a, evidenceId)).toHaveLength(1);
  expect((await api.claim(b)).evidence).toEqual([]);
  const warning = await waitFor(
    'the dropped-job warning',
    async () => t.logs.lines().find((l) => l.msg === 'job dropped: its data does not match the ledger'),
    (l) => l !== undefined,
    { timeoutMs: 5_000 },
  );
  expect(warning).toMatchObject({ level: 'warn', queue: QueueNames.attach, correlationId: 'forged-by-test', evidenceId, claimId: b });
  const metrics = await t.ops.metrics.render();
  expect(metrics).toMatch(/^jobs_dropped_total\{queue="evidence-attach"\} 1$/m);
});
