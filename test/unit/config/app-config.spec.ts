import fc from 'fast-check';
import { ConfigError, loadConfig } from '../../../src/config/app-config';

/** Every integer variable the service reads, with a value inside and one outside its range. */
const INTEGER_VARIABLES: Array<[name: string, field: string, good: string, expected: number, bad: string]> = [
  ['PORT', 'port', '8080', 8080, '70000'],
  ['POLL_INTERVAL_MS', 'pollIntervalMs', '100', 100, '5'],
  ['WORKER_CONCURRENCY', 'workerConcurrency', '3', 3, '0'],
  ['JOB_LOCK_DURATION_MS', 'jobLockDurationMs', '1500', 1500, '-1'],
  ['JOB_STALLED_INTERVAL_MS', 'jobStalledIntervalMs', '500', 500, '1.5'],
  ['JOB_PAUSE_BEFORE_APPEND_MS', 'jobPauseBeforeAppendMs', '120', 120, 'soon'],
  ['WORKER_STALE_MS', 'workerStaleMs', '300', 300, '50'],
  ['MIGRATE_WAIT_MS', 'migrateWaitMs', '0', 0, '3600001'],
  ['CHAIN_FULL_VERIFY_MS', 'chainFullVerifyMs', '0', 0, '1e3'],
  ['SHUTDOWN_TIMEOUT_MS', 'shutdownTimeoutMs', '8000', 8000, '0'],
  ['SHUTDOWN_HTTP_GRACE_MS', 'shutdownHttpGraceMs', '500', 500, 'x'],
  ['METRICS_PORT', 'metricsPort', '9464', 9464, '0'],
  ['SSE_HEARTBEAT_MS', 'sseHeartbeatMs', '150', 150, '1'],
  ['SSE_BUFFER_EVENTS', 'sseBufferEvents', '16', 16, '2000000'],
  ['SSE_MAX_BUFFERED_BYTES', 'sseMaxBufferedBytes', '65536', 65536, '10'],
  ['SSE_WRITES_PER_SECOND', 'sseWritesPerSecond', '100', 100, '99'],
  ['SSE_MAX_FLUSH_DELAY_MS', 'sseMaxFlushDelayMs', '0', 0, '20000'],
  ['SSE_MAX_CLIENTS_PER_KEY', 'sseMaxClientsPerKey', '0', 0, 'many'],
  ['RATE_LIMIT_PER_MINUTE', 'rateLimitWritesPerMinute', '60', 60, '-5'],
  ['RATE_LIMIT_READS_PER_MINUTE', 'rateLimitReadsPerMinute', '600', 600, '0x10'],
  ['WEBHOOK_TIMEOUT_MS', 'webhookTimeoutMs', '2000', 2000, '0'],
  ['CHECKPOINT_INTERVAL_MS', 'checkpointIntervalMs', '250', 250, '5'],
  ['IMPORT_MAX_BYTES', 'importMaxBytes', '1048576', 1048576, '0'],
  ['IMPORT_BATCH_ROWS', 'importBatchRows', '50', 50, '2001'],
];

describe('loadConfig: every variable read once, validated', () => {
  it('gives the documented defaults with an empty environment', () => {
    const c = loadConfig({});
    expect(c).toMatchObject({
      port: 3000,
      databasePath: './data/ledger.sqlite',
      redisUrl: null,
      runWorkers: true,
      publicRead: false,
      workerConcurrency: 8,
      jobLockDurationMs: 30_000,
      jobStalledIntervalMs: 30_000,
      jobPauseBeforeAppendMs: 0,
      workerStaleMs: 30_000,
      chainFullVerifyMs: 3_600_000,
      shutdownTimeoutMs: 25_000,
      shutdownHttpGraceMs: 10_000,
      metricsPort: null,
      dashboardDir: null,
      sseHeartbeatMs: 15_000,
      sseBufferEvents: 4096,
      sseMaxBufferedBytes: 8 * 1024 * 1024,
      sseWritesPerSecond: 2000,
      sseMaxFlushDelayMs: 1000,
      reviewRequired: false,
      webhookRetryScheduleMs: [5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000],
      webhookAllowPrivate: false,
      webhookTimeoutMs: 10_000,
      ledgerSigningKey: null,
      ledgerOrigin: 'localhost/claim-ledger',
      checkpointIntervalMs: 5000,
      importMaxBytes: 512 * 1024 * 1024,
      importDir: null,
      importBatchRows: 2000,
    });
  });

  it('transparency: LEDGER_ORIGIN defaults to the host of PUBLIC_BASE_URL; LEDGER_SIGNING_KEY is checked and never echoed', () => {
    expect(loadConfig({ PUBLIC_BASE_URL: 'https://factcheck.example/' }).ledgerOrigin).toBe('factcheck.example/claim-ledger');
    expect(loadConfig({ PUBLIC_BASE_URL: 'https://x.example', LEDGER_ORIGIN: 'news.example/ledger' }).ledgerOrigin).toBe('news.example/ledger');
    expect(() => loadConfig({ LEDGER_ORIGIN: 'has space' })).toThrow(/^LEDGER_ORIGIN must be a key name/);
    expect(() => loadConfig({ LEDGER_ORIGIN: 'a+b' })).toThrow(/^LEDGER_ORIGIN must be a key name/);
    const seed = Buffer.alloc(32, 9).toString('base64');
    expect(loadConfig({ LEDGER_SIGNING_KEY: seed }).ledgerSigningKey).toBe(seed);
    const pem = require('node:crypto').generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8' }) as string;
    expect(loadConfig({ LEDGER_SIGNING_KEY: pem }).ledgerSigningKey).toBe(pem.trim());
    for (const bad of ['c2VjcmV0LXNlY3JldA==', '-----BEGIN PRIVATE KEY-----\nnope\n-----END PRIVATE KEY-----']) {
      let message = '';
      try {
        loadConfig({ LEDGER_SIGNING_KEY: bad });
      } catch (err) {
        message = (err as Error).message;
      }
      expect(message).toMatch(/^LEDGER_SIGNING_KEY must be an Ed25519 private key/);
      expect(message).not.toContain(bad);
    }
  });

  it.each(INTEGER_VARIABLES)('%s: takes a valid value and refuses a bad one, naming the variable', (name, field, good, expected, bad) => {
    expect(loadConfig({ [name]: good })).toMatchObject({ [field]: expected });
    expect(() => loadConfig({ [name]: bad })).toThrow(ConfigError);
    expect(() => loadConfig({ [name]: bad })).toThrow(new RegExp(`^${name} must be an integer in \\d+\\.\\.\\d+, got "${bad.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}"$`));
  });

  it('refuses any non-decimal text for an integer variable (property)', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...INTEGER_VARIABLES.map(([name]) => name)),
        fc.string({ minLength: 1 }).filter((s) => !/^\d+$/.test(s) && Number.isNaN(Number(s))),
        (name, raw) => {
          expect(() => loadConfig({ [name]: raw })).toThrow(name);
        },
      ),
    );
  });

  it.each([
    ['RUN_WORKERS', 'perhaps', /^RUN_WORKERS must be true or false/],
    ['PUBLIC_READ', '2', /^PUBLIC_READ must be true or false/],
    ['DATABASE_URL', 'mysql://x', /^DATABASE_URL must be a postgres:\/\/ URL/],
    ['DATABASE_SCHEMA', 'Robert"; DROP', /^DATABASE_SCHEMA must be a plain lower-case identifier/],
    ['ADMIN_API_KEY', 'short', /^ADMIN_API_KEY must be at least 16 characters/],
    ['REVIEW_REQUIRED', 'maybe', /^REVIEW_REQUIRED must be true or false/],
    ['WEBHOOK_ALLOW_PRIVATE', 'sometimes', /^WEBHOOK_ALLOW_PRIVATE must be true or false/],
    ['WEBHOOK_RETRY_SCHEDULE_MS', '5s,1m', /^WEBHOOK_RETRY_SCHEDULE_MS must be a comma-separated list/],
    ['WEBHOOK_RETRY_SCHEDULE_MS', '100,-1', /^WEBHOOK_RETRY_SCHEDULE_MS must be a comma-separated list/],
  ])('%s=%s is refused with a message naming it', (name, value, message) => {
    expect(() => loadConfig({ [name]: value })).toThrow(message);
  });

  it('takes the dashboard folder and metrics port when set', () => {
    expect(loadConfig({ DASHBOARD_DIR: '/srv/dash', METRICS_PORT: '9100' })).toMatchObject({ dashboardDir: '/srv/dash', metricsPort: 9100 });
  });

  it('takes the workflow settings: REVIEW_REQUIRED, WEBHOOK_RETRY_SCHEDULE_MS, WEBHOOK_ALLOW_PRIVATE', () => {
    expect(loadConfig({ REVIEW_REQUIRED: 'true', WEBHOOK_RETRY_SCHEDULE_MS: '50, 100,0', WEBHOOK_ALLOW_PRIVATE: 'yes' })).toMatchObject({
      reviewRequired: true,
      webhookRetryScheduleMs: [50, 100, 0],
      webhookAllowPrivate: true,
    });
  });
});
