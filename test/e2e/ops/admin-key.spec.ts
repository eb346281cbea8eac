import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import http from 'node:http';
import { tempDbPath } from '../../support/temp';
import { freePort, requireBuild, spawnNode, waitFor } from './helpers';

function get(port: number, path: string, key?: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path, headers: key ? { authorization: `Bearer ${key}` } : {} }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
  });
}

/**
 * The first admin key, made when ADMIN_API_KEY is unset: in production (NODE_ENV=production)
 * it goes to a 0600 file beside the database and only the file's path is printed, so it never
 * reaches a log pipeline; elsewhere it is printed once, as before.
 */
describe('the generated first admin key', () => {
  beforeAll(() => requireBuild('main.js'));

  it('in production: written to a 0600 file beside the database, never printed; the key in it works', async () => {
    const temp = tempDbPath('claim-ledger-adminkey-');
    const port = await freePort();
    const child = spawnNode('main.js', { NODE_ENV: 'production', DATABASE_PATH: temp.dbPath, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'info' });
    try {
      await waitFor(async () => (await get(port, '/health').catch(() => 0)) === 200, 'the API to answer', 30_000, 100);
      const file = join(temp.dir, 'initial-admin-key');
      expect(child.stdout()).toContain(`wrote it to ${file} (mode 0600)`);
      const key = readFileSync(file, 'utf8').trim();
      expect(key).toMatch(/^clk_[0-9a-f]{32}_[A-Za-z0-9_-]{43}$/);
      expect(statSync(file).mode & 0o777).toBe(0o600);
      // Not on stdout, not on stderr, not in any log line.
      expect(child.stdout() + child.stderr()).not.toContain(key);
      expect(child.stdout() + child.stderr()).not.toMatch(/clk_[0-9a-f]{32}_/);
      expect(await get(port, '/api/api-keys', key)).toBe(200);
    } finally {
      child.proc.kill('SIGTERM');
      await child.exited;
      temp.cleanup();
    }
  });

  it('outside production: printed once on stdout, no file', async () => {
    const temp = tempDbPath('claim-ledger-adminkey-');
    const port = await freePort();
    const child = spawnNode('main.js', { DATABASE_PATH: temp.dbPath, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'warn' });
    try {
      await waitFor(async () => (await get(port, '/health').catch(() => 0)) === 200, 'the API to answer', 30_000, 100);
      const printed = /(clk_[0-9a-f]{32}_[A-Za-z0-9_-]{43})/.exec(child.stdout());
      expect(printed).not.toBeNull();
      expect(await get(port, '/api/api-keys', printed![1])).toBe(200);
      expect(() => statSync(join(temp.dir, 'initial-admin-key'))).toThrow();
    } finally {
      child.proc.kill('SIGTERM');
      await child.exited;
      temp.cleanup();
    }
  });
});
