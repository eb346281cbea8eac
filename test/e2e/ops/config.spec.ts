import { existsSync } from 'node:fs';
import { tempDbPath } from '../../support/temp';
import { requireBuild, runNode } from './helpers';

/**
 * Configuration is read and checked once, at start, by every entry point: a bad value stops
 * the process (exit 1) before it opens the database, with one line naming the variable.
 */
describe('a bad configuration value stops the process, naming the variable', () => {
  beforeAll(() => requireBuild('main.js', 'worker.js', 'rebuild.js', 'migrate.js'));

  it.each([
    ['main.js', { WORKER_CONCURRENCY: '0' }, 'WORKER_CONCURRENCY must be an integer in 1..1000, got "0"'],
    ['main.js', { CHAIN_FULL_VERIFY_MS: 'hourly' }, 'CHAIN_FULL_VERIFY_MS must be an integer in 0..2147483647, got "hourly"'],
    ['main.js', { SHUTDOWN_TIMEOUT_MS: '1e4' }, 'SHUTDOWN_TIMEOUT_MS must be an integer in 1..3600000, got "1e4"'],
    ['main.js', { SSE_HEARTBEAT_MS: '5' }, 'SSE_HEARTBEAT_MS must be an integer in 10..3600000, got "5"'],
    ['worker.js', { REDIS_URL: 'redis://127.0.0.1:6379', JOB_LOCK_DURATION_MS: '-1' }, 'JOB_LOCK_DURATION_MS must be an integer in 100..86400000, got "-1"'],
    ['worker.js', { REDIS_URL: 'redis://127.0.0.1:6379', METRICS_PORT: '99999' }, 'METRICS_PORT must be an integer in 1..65535, got "99999"'],
    ['rebuild.js', { PUBLIC_READ: 'maybe' }, 'PUBLIC_READ must be true or false, got "maybe"'],
    ['migrate.js', { PORT: 'http' }, 'PORT must be an integer in 0..65535, got "http"'],
  ])('%s with %j', async (entry, env, message) => {
    const temp = tempDbPath('claim-ledger-config-');
    try {
      const { code, stdout, stderr } = await runNode(entry, { DATABASE_PATH: temp.dbPath, ...env });
      expect(code).toBe(1);
      expect(stderr.trim().split('\n')).toContain(message);
      expect(stdout).not.toMatch(/listening|worker running/);
      // Refused before anything was opened or created.
      expect(existsSync(temp.dbPath)).toBe(false);
    } finally {
      temp.cleanup();
    }
  });
});
