import { Client, expectStatus, isProblem, seen } from './support/client';
import { pool } from './support/ledger';
import { ServiceProcess, tempDir } from './support/service';
import { note, writeSummary } from './support/summary';
import { freePort, startRedisServer, type Child } from '../support/jobs';

/**
 * Issue 15 item 11 / issue 16 item 10: two `node dist/main.js` processes (one SQLite file, one
 * Redis that asks for a password, as in docker-compose.yml) count against one budget per key and
 * one failed-authentication budget per address, so adding processes does not multiply the limits.
 */

jest.setTimeout(120_000);

const READS = 20;
const AUTH_FAILURES = 4;
const PASSWORD = 'shared-limits-secret';

const dir = tempDir('shared-limits');
let redis: Child;
let one: ServiceProcess;
let two: ServiceProcess;
let admin: Client;

beforeAll(async () => {
  const port = await freePort();
  redis = await startRedisServer(port, { requirepass: PASSWORD });
  const options = {
    dbPath: dir.file(),
    logLevel: 'error',
    redisUrl: `redis://:${PASSWORD}@127.0.0.1:${port}/0`,
    queuePrefix: 'cl-shared-limits',
    env: { RATE_LIMIT_READS_PER_MINUTE: String(READS), AUTH_FAILURES_PER_MINUTE: String(AUTH_FAILURES) },
  };
  one = await ServiceProcess.start(options);
  two = await ServiceProcess.start({ ...options, runWorkers: false });
  admin = new Client(one.base, one.adminKey);
  // Both reach the password-protected Redis (the health check pings it).
  for (const s of [one, two]) expectStatus(await new Client(s.base, s.adminKey).get('/health'), 200, `${s.base}/health`);
});

afterAll(async () => {
  admin?.close();
  await one?.stop();
  await two?.stop();
  await redis?.stop();
  dir.remove();
  writeSummary(__filename);
  expect(seen.serverErrors).toEqual([]);
});

it(`one key, two processes: ${READS / 2 + 1} reads on each with a budget of ${READS} → exactly ${READS} pass, the rest 429`, async () => {
  const key = expectStatus(await admin.post('/api/api-keys', { name: 'shared reads', role: 'viewer' }), 201).body.key as string;
  const clients = [new Client(one.base, key), new Client(two.base, key)];
  const answers = await pool(4, Array.from({ length: READS + 2 }, (_, i) => () => clients[i % 2].get('/api/claims?limit=1')));
  const ok = answers.filter((r) => r.status === 200).length;
  const limited = answers.filter((r) => r.status === 429);
  // One window of a minute: the burst is well inside it.
  expect(ok).toBe(READS);
  expect(limited).toHaveLength(2);
  for (const r of limited) expect(isProblem(r, 429) && Number(r.headers['retry-after']) >= 1).toBe(true);
  note(`${answers.length} reads split over two processes with a shared budget of ${READS}: ${ok} passed, ${limited.length} got 429`);
  for (const c of clients) c.close();
});

it(`failed authentications from one address are counted across processes (${AUTH_FAILURES} per minute)`, async () => {
  const guesses = [new Client(one.base), new Client(two.base)];
  const statuses: number[] = [];
  for (let i = 0; i < AUTH_FAILURES + 2; i++) {
    statuses.push((await guesses[i % 2].get('/api/api-keys', { key: `guessed-key-${i}-0123456789abcdef` })).status);
  }
  expect(statuses).toEqual([...Array(AUTH_FAILURES).fill(401), 429, 429]);
  // A good key from the same address still works, on either process.
  for (const s of [one, two]) expectStatus(await new Client(s.base, s.adminKey).get('/api/api-keys'), 200);
  for (const c of guesses) c.close();
});
