import { tempDbPath } from '../../support/temp';
import { ThrowawayRedis } from '../../reliability/support/service';
import { parseJsonLines, requireBuild, spawnNode, waitFor } from '../../e2e/ops/helpers';

/**
 * A worker process (`node dist/worker.js`) while its Redis goes away: one warning when it goes,
 * one line when it is back (not a line per worker per reconnect attempt), and SIGTERM during an
 * outage shuts down cleanly (exit 0) instead of waiting on Redis until the shutdown timeout.
 */
jest.setTimeout(60_000);

describe('worker process while Redis is away', () => {
  let redis: ThrowawayRedis;
  const temp = tempDbPath('claim-ledger-redis-away-');

  beforeAll(async () => {
    requireBuild('worker.js');
    redis = await ThrowawayRedis.start();
  });
  afterAll(async () => {
    await redis?.stop();
    temp.cleanup();
  });

  it('logs the outage once and its end once, and exits 0 on SIGTERM while Redis is down', async () => {
    const child = spawnNode('worker.js', {
      DATABASE_PATH: temp.dbPath,
      REDIS_URL: redis.url,
      QUEUE_PREFIX: 'redis-away',
      LOG_LEVEL: 'info',
      // Far above what a clean shutdown takes: exit 1 from the timeout would show a hang.
      SHUTDOWN_TIMEOUT_MS: '20000',
    });
    try {
      await waitFor(async () => /worker running/.test(child.stdout()), 'the worker to run', 30_000, 50);
      const lines = () => parseJsonLines(child.stdout()).map((l) => String(l.msg ?? ''));
      await redis.down();
      await waitFor(async () => lines().some((m) => /Redis is unreachable: jobs wait/.test(m)), 'the outage warning', 15_000, 50);
      // Several seconds of reconnect attempts by every worker.
      await new Promise((r) => setTimeout(r, 3000));
      await redis.up();
      await waitFor(async () => lines().some((m) => /Redis is back: jobs go on/.test(m)), 'the recovery line', 15_000, 50);
      expect(lines().filter((m) => /Redis is unreachable|ECONNREFUSED|Connection is closed/.test(m))).toHaveLength(1);

      await redis.down();
      await waitFor(async () => lines().filter((m) => /Redis is unreachable: jobs wait/.test(m)).length === 2, 'the second outage warning', 15_000, 50);
      child.proc.kill('SIGTERM');
      expect(await child.exited).toBe(0);
      expect(lines()).toContain('shut down cleanly');
    } finally {
      if (child.proc.exitCode === null) child.proc.kill('SIGKILL');
    }
  });
});
