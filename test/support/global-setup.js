/* Jest global setup: make sure the Redis the BullMQ tests use answers, starting one if it can. */
const { execFileSync, spawnSync } = require('node:child_process');
const { mkdirSync } = require('node:fs');

function ping(port) {
  const r = spawnSync('redis-cli', ['-h', '127.0.0.1', '-p', String(port), 'ping'], { encoding: 'utf8' });
  return r.status === 0 && r.stdout.trim() === 'PONG';
}

module.exports = async () => {
  if (process.env.TEST_REDIS_URL) return; // the caller chose a Redis
  if (ping(6379)) return;
  try {
    mkdirSync('/tmp/claim-ledger-redis', { recursive: true });
    execFileSync('redis-server', [
      '--daemonize', 'yes', '--bind', '127.0.0.1', '--port', '6379', '--save', '', '--appendonly', 'no',
      '--dir', '/tmp/claim-ledger-redis', '--logfile', '/tmp/claim-ledger-redis/redis.log',
    ]);
    for (let i = 0; i < 50 && !ping(6379); i++) await new Promise((r) => setTimeout(r, 100));
  } catch (err) {
    console.warn(`Redis is not running on 127.0.0.1:6379 and redis-server could not start it: ${err.message}`);
  }
};
