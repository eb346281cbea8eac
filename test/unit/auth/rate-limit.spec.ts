import IORedis from 'ioredis';
import { createServer } from 'node:net';
import { RequestBudget } from '../../../src/auth/rate-limit';
import { TEST_REDIS_URL, deleteKeysWithPrefix, uniquePrefix } from '../../support/redis';

/**
 * The minute budgets behind RATE_LIMIT_PER_MINUTE, RATE_LIMIT_READS_PER_MINUTE and
 * AUTH_FAILURES_PER_MINUTE (rate-limiter-flexible): in memory without Redis, in Redis (shared by
 * every process on it) with one, and failing open to memory while Redis does not answer.
 */
describe('RequestBudget in memory (fake clock)', () => {
  afterEach(() => jest.useRealTimers());

  it('admits a minute’s worth per bucket, then names the wait; after that wait it admits again', async () => {
    jest.useFakeTimers({ now: 1_000_000 });
    const budget = new RequestBudget('writes', 5);
    for (let i = 0; i < 5; i++) expect(await budget.take('key:a')).toEqual({ allowed: true, retryAfterSec: 0 });
    const refused = await budget.take('key:a');
    expect(refused.allowed).toBe(false);
    expect(refused.retryAfterSec).toBe(60); // the window started just now
    expect((await budget.take('key:b')).allowed).toBe(true); // per bucket

    jest.advanceTimersByTime(20_000);
    const later = await budget.take('key:a');
    expect(later).toEqual({ allowed: false, retryAfterSec: 40 }); // Retry-After counts down with the window
    jest.advanceTimersByTime(later.retryAfterSec * 1000);
    expect((await budget.take('key:a')).allowed).toBe(true);
  });

  it('0 turns it off', async () => {
    const off = new RequestBudget('reads', 0);
    for (let i = 0; i < 100; i++) expect((await off.take('key:a')).allowed).toBe(true);
  });
});

describe('RequestBudget on Redis', () => {
  const prefix = uniquePrefix('rate-limit');
  const clients: IORedis[] = [];
  const client = (url = TEST_REDIS_URL): IORedis => {
    const c = new IORedis(url, { enableOfflineQueue: false, maxRetriesPerRequest: 1 });
    c.on('error', () => undefined);
    clients.push(c);
    return c;
  };

  afterAll(async () => {
    for (const c of clients) c.disconnect();
    await deleteKeysWithPrefix(prefix);
  });

  it('two processes’ budgets on one Redis share one allowance (their own key prefix)', async () => {
    // Two RequestBudgets on two connections: what two API processes hold.
    const [one, two] = [client(), client()];
    await Promise.all([one, two].map((c) => (c.status === 'ready' ? undefined : new Promise((resolve) => c.once('ready', resolve)))));
    const a = new RequestBudget('writes', 10, { redis: one, prefix });
    const b = new RequestBudget('writes', 10, { redis: two, prefix });
    const answers = [];
    for (let i = 0; i < 6; i++) answers.push(await a.take('key:shared'), await b.take('key:shared'));
    expect(answers.filter((x) => x.allowed)).toHaveLength(10);
    const refused = answers.filter((x) => !x.allowed);
    expect(refused).toHaveLength(2);
    for (const r of refused) expect(r.retryAfterSec).toBeGreaterThanOrEqual(1);
    // Stored under the deployment's prefix.
    expect(await one.exists(`${prefix}:rate-limit:writes:key:shared`)).toBe(1);
    // Another budget (reads) and another bucket are apart.
    expect((await new RequestBudget('reads', 10, { redis: one, prefix }).take('key:shared')).allowed).toBe(true);
    expect((await a.take('key:other')).allowed).toBe(true);
  });

  it('Redis not answering: fails open to this process’s in-memory count, never an error', async () => {
    // A port nobody listens on.
    const port = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as { port: number }).port;
        s.close(() => resolve(p));
      });
    });
    const budget = new RequestBudget('writes', 3, { redis: client(`redis://127.0.0.1:${port}`), prefix });
    const answers = [];
    for (let i = 0; i < 4; i++) answers.push(await budget.take('key:a'));
    expect(answers.map((x) => x.allowed)).toEqual([true, true, true, false]);
  });
});
