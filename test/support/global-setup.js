/* Jest global setup: make sure the Redis the BullMQ tests use answers, starting one if it can. */
const { execFileSync, spawnSync } = require('node:child_process');
const { mkdtempSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');

function ping(port) {
  const r = spawnSync('redis-cli', ['-h', '127.0.0.1', '-p', String(port), 'ping'], { encoding: 'utf8' });
  return r.status === 0 && r.stdout.trim() === 'PONG';
}

module.exports = async () => {
  if (process.env.TEST_REDIS_URL) return; // the caller chose a Redis
  if (ping(6379)) return;
  try {
    // Its own temp folder (it keeps nothing there: no snapshots, no append-only file; just its log).
    const dir = mkdtempSync(join(tmpdir(), 'claim-ledger-redis-'));
    execFileSync('redis-server', [
      '--daemonize', 'yes', '--bind', '127.0.0.1', '--port', '6379', '--save', '', '--appendonly', 'no',
      '--dir', dir, '--logfile', join(dir, 'redis.log'),
    ]);
    for (let i = 0; i < 50 && !ping(6379); i++) await new Promise((r) => setTimeout(r, 100));
  } catch (err) {
    console.warn(`Redis is not running on 127.0.0.1:6379 and redis-server could not start it: ${err.message}`);
  }
};
