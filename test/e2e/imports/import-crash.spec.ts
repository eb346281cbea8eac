import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { StoredEvent } from '../../../src/domain/events';
import { Client, expectStatus } from '../../reliability/support/client';
import { feed, until, verify } from '../../reliability/support/ledger';
import { ServiceProcess, startWorkerProcess, tempDir, type Child } from '../../reliability/support/service';
import { PrefixLedger } from '../../support/jobs';
import { TEST_REDIS_URL } from '../../support/redis';
import { writeAcledFile } from '../../support/acled';

/**
 * kill -9 mid-import, with and without Redis. The import pauses after each batch's appends and
 * before its checkpoint (JOB_PAUSE_BEFORE_APPEND_MS), the widest window; the process running it is
 * SIGKILLed once the first batch is counted. After a restart (without Redis) or a second worker
 * taking the stalled job over (with Redis), the import finishes with the counts of an
 * uninterrupted run, and every row is in the log exactly once.
 */

jest.setTimeout(120_000);

const ROWS = 5000;
const dir = tempDir('import-crash');
const prefixes = new PrefixLedger('import-crash');
const processes: Array<{ stop(): Promise<unknown> }> = [];

afterAll(async () => {
  for (const p of processes) await p.stop().catch(() => undefined);
  await prefixes.cleanup();
  dir.remove();
});

async function upload(c: Client, path: string): Promise<string> {
  const res = expectStatus(await c.post('/api/imports?format=acled&dataset=crash', readFileSync(path), { headers: { 'content-type': 'text/csv' } }), 202, 'POST /api/imports');
  return res.body.importId as string;
}

function checkLog(events: StoredEvent[], importId: string): void {
  const submitted = events.filter((e) => e.type === 'EvidenceSubmitted');
  expect(submitted).toHaveLength(ROWS);
  expect(new Set(submitted.map((e) => e.streamId)).size).toBe(ROWS);
  expect(new Set(submitted.map((e) => (e.type === 'EvidenceSubmitted' ? e.data.external?.id : null))).size).toBe(ROWS);
  expect(events.filter((e) => e.type === 'ImportCompleted').map((e) => e.streamId)).toEqual([`import-${importId}`]);
}

const FINISHED = { state: 'done', rows: ROWS, accepted: ROWS, revised: 0, unchanged: 0, stale: 0, retracted: 0, rejected: 0 };

it('without Redis: the API is killed mid-import, restarted on the same file, and finishes the import once', async () => {
  const file = dir.file('rows.csv');
  await writeAcledFile(file, ROWS);
  let service = await ServiceProcess.start({ dbPath: dir.file('inline.sqlite'), env: { JOB_PAUSE_BEFORE_APPEND_MS: '400' } });
  processes.push(service);
  const admin = new Client(service.base, service.adminKey);
  const importId = await upload(admin, file);
  await until('the first batch counted', async () => (await admin.get(`/api/imports/${importId}`)).body, (v) => v.rows >= 2000, 30_000, 20);
  await service.kill('SIGKILL');

  service = await service.restart({ env: {} });
  processes.push(service);
  const after = new Client(service.base, service.adminKey);
  const done = await until('the import to finish', async () => (await after.get(`/api/imports/${importId}`)).body, (v) => v.state === 'done', 60_000, 100);
  expect(done).toMatchObject(FINISHED);
  checkLog(await feed(after), importId);
  expect((await verify(after)).ok).toBe(true);
  admin.close();
  after.close();
});

it('with Redis: the worker running the import is killed, another worker takes the stalled job over and finishes it once', async () => {
  const file = dir.file('rows.csv');
  const prefix = prefixes.next();
  const dbPath = dir.file('bullmq.sqlite');
  const service = await ServiceProcess.start({ dbPath, redisUrl: TEST_REDIS_URL, queuePrefix: prefix, runWorkers: false });
  processes.push(service);
  const lock = { JOB_LOCK_DURATION_MS: '1500', JOB_STALLED_INTERVAL_MS: '500' };
  const first: Child = await startWorkerProcess({ dbPath, prefix, env: { ...lock, JOB_PAUSE_BEFORE_APPEND_MS: '400' } });
  processes.push(first);
  const admin = new Client(service.base, service.adminKey);
  const importId = await upload(admin, file);
  await until('the first batch counted', async () => (await admin.get(`/api/imports/${importId}`)).body, (v) => v.rows >= 2000, 30_000, 20);
  await first.kill('SIGKILL');

  const second = await startWorkerProcess({ dbPath, prefix, env: lock });
  processes.push(second);
  const done = await until('the import to finish', async () => (await admin.get(`/api/imports/${importId}`)).body, (v) => v.state === 'done', 60_000, 100);
  expect(done).toMatchObject(FINISHED);
  checkLog(await feed(admin), importId);
  expect((await verify(admin)).ok).toBe(true);
  admin.close();
});

it('npm run import: uploads, follows with plain lines when not on a terminal, exits 0 when done (1 when the file fails)', async () => {
  const file = dir.file('cli.csv');
  await writeAcledFile(file, 300, 7);
  const service = await ServiceProcess.start({ dbPath: dir.file('cli.sqlite') });
  processes.push(service);
  const run = (args: string[]) =>
    promisify(execFile)(process.execPath, [join(__dirname, '..', '..', '..', 'scripts', 'import.js'), '--url', service.base, '--key', service.adminKey!, ...args], { timeout: 60_000 });
  const { stdout } = await run(['--format', 'acled', '--dataset', 'cli', '--poll-ms', '100', file]);
  expect(stdout).toMatch(/uploaded .* as import [0-9a-f-]{36}/);
  expect(stdout).toMatch(/^done: 300 rows in .* accepted 300, revised 0, unchanged 0, stale 0, retracted 0, rejected 0; sha256 [0-9a-f]{64}$/m);
  const notCsv = dir.file('not.csv');
  require('node:fs').writeFileSync(notCsv, 'hello\n');
  await expect(run(['--format', 'acled', '--dataset', 'cli', '--poll-ms', '100', notCsv])).rejects.toMatchObject({ code: 1, stderr: expect.stringMatching(/import failed: not an acled CSV/) });
  await expect(run(['--format', 'acled', file])).rejects.toMatchObject({ code: 2 });
});
