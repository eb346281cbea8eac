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
  ['VERIFY_RATE_LIMIT_PER_MINUTE', 'verifyRateLimitPerMinute', '0', 0, '-1'],
  ['IDEMPOTENCY_TTL_HOURS', 'idempotencyTtlHours', '72', 72, '0'],
  ['IDEMPOTENCY_PURGE_INTERVAL_MS', 'idempotencyPurgeIntervalMs', '0', 0, '1h'],
  ['SHUTDOWN_TIMEOUT_MS', 'shutdownTimeoutMs', '8000', 8000, '0'],
  ['SHUTDOWN_HTTP_GRACE_MS', 'shutdownHttpGraceMs', '500', 500, 'x'],
  ['METRICS_PORT', 'metricsPort', '9464', 9464, '0'],
  ['SSE_HEARTBEAT_MS', 'sseHeartbeatMs', '150', 150, '1'],
  ['SSE_BUFFER_EVENTS', 'sseBufferEvents', '16', 16, '2000000'],
  ['SSE_MAX_BUFFERED_BYTES', 'sseMaxBufferedBytes', '65536', 65536, '10'],
  ['SSE_WRITES_PER_SECOND', 'sseWritesPerSecond', '100', 100, '99'],
  ['SSE_MAX_FLUSH_DELAY_MS', 'sseMaxFlushDelayMs', '0', 0, '20000'],
  ['SSE_MAX_CLIENTS_PER_KEY', 'sseMaxClientsPerKey', '0', 0, 'many'],
  ['SSE_MAX_CLIENTS', 'sseMaxClients', '200', 200, '0x10'],
  ['SSE_MAX_CLIENTS_PER_IP', 'sseMaxClientsPerIp', '0', 0, '1e3'],
  ['SSE_SLOW_CLIENT_MS', 'sseSlowClientMs', '500', 500, '99'],
  ['SSE_TICKET_TTL_MS', 'sseTicketTtlMs', '300', 300, '3600001'],
  ['SSE_LEASE_TTL_MS', 'sseLeaseTtlMs', '2000', 2000, '999'],
  ['RATE_LIMIT_PER_MINUTE', 'rateLimitWritesPerMinute', '60', 60, '-5'],
  ['RATE_LIMIT_READS_PER_MINUTE', 'rateLimitReadsPerMinute', '600', 600, '0x10'],
  ['AUTH_FAILURES_PER_MINUTE', 'authFailuresPerMinute', '0', 0, '1e2'],
  ['WEBHOOK_TIMEOUT_MS', 'webhookTimeoutMs', '2000', 2000, '0'],
  ['CHECKPOINT_INTERVAL_MS', 'checkpointIntervalMs', '250', 250, '5'],
  ['IMPORT_MAX_BYTES', 'importMaxBytes', '1048576', 1048576, '0'],
  ['IMPORT_BATCH_ROWS', 'importBatchRows', '50', 50, '2001'],
  ['HTTP_REQUEST_TIMEOUT_MS', 'httpRequestTimeoutMs', '30000', 30000, '-1'],
  ['HTTP_HEADERS_TIMEOUT_MS', 'httpHeadersTimeoutMs', '5000', 5000, '5s'],
  ['HTTP_KEEPALIVE_TIMEOUT_MS', 'httpKeepAliveTimeoutMs', '0', 0, '0x10'],
  ['HTTP_CONNECTION_TIMEOUT_MS', 'httpConnectionTimeoutMs', '0', 0, '1e5'],
  ['HTTP_MAX_CONNECTIONS', 'httpMaxConnections', '100', 100, '10000001'],
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
      sseMaxClients: 1000,
      sseMaxClientsPerIp: 16,
      sseSlowClientMs: 30_000,
      sseTicketTtlMs: 60_000,
      sseLeaseTtlMs: 15_000,
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

  it('PUBLIC_BASE_URL is the one base of every URL: default http://localhost:<PORT>, ORG_URL follows it unless set, bad values named', () => {
    expect(loadConfig({})).toMatchObject({ publicBaseUrl: 'http://localhost:3000', orgUrl: 'http://localhost:3000' });
    // The org URL used to stay at localhost:3000 whatever the port or base URL.
    expect(loadConfig({ PORT: '8080' })).toMatchObject({ publicBaseUrl: 'http://localhost:8080', orgUrl: 'http://localhost:8080' });
    expect(loadConfig({ PUBLIC_BASE_URL: 'https://ledger.factdesk.example/' })).toMatchObject({
      publicBaseUrl: 'https://ledger.factdesk.example',
      orgUrl: 'https://ledger.factdesk.example',
    });
    expect(loadConfig({ PUBLIC_BASE_URL: 'https://ledger.factdesk.example/x', ORG_URL: 'https://factdesk.example' })).toMatchObject({
      publicBaseUrl: 'https://ledger.factdesk.example/x',
      orgUrl: 'https://factdesk.example',
    });
    for (const bad of ['ledger.example', 'ftp://ledger.example', 'https://ledger.example/?a=1', 'https://ledger.example/#top', 'https://user:pw@ledger.example', '/relative']) {
      expect(() => loadConfig({ PUBLIC_BASE_URL: bad })).toThrow(new RegExp(`^PUBLIC_BASE_URL must be an absolute http\\(s\\) URL`));
      expect(() => loadConfig({ ORG_URL: bad })).toThrow(/^ORG_URL must be an absolute http\(s\) URL/);
    }
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

  it('verify, idempotency and metrics settings: defaults, and METRICS_TOKEN checked without being echoed', () => {
    expect(loadConfig({})).toMatchObject({ verifyRateLimitPerMinute: 60, idempotencyTtlHours: 24, idempotencyPurgeIntervalMs: 600_000, metricsToken: null });
    expect(loadConfig({ METRICS_TOKEN: 'scrape-token-0123456789' }).metricsToken).toBe('scrape-token-0123456789');
    for (const bad of ['short', 'has a space in it 0123456789', 'x'.repeat(513)]) {
      let message = '';
      try {
        loadConfig({ METRICS_TOKEN: bad });
      } catch (err) {
        expect(err).toBeInstanceOf(ConfigError);
        message = (err as Error).message;
      }
      expect(message).toMatch(/^METRICS_TOKEN must be 16\.\.512 visible ASCII characters/);
      expect(message).not.toContain(bad);
    }
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

  it('HTTP server limits: defaults; the headers timeout within the request timeout; the idle timeout above the SSE heartbeat', () => {
    expect(loadConfig({})).toMatchObject({
      httpRequestTimeoutMs: 120_000,
      httpHeadersTimeoutMs: 10_000,
      httpKeepAliveTimeoutMs: 10_000,
      httpConnectionTimeoutMs: 60_000,
      httpMaxConnections: 4096,
    });
    expect(() => loadConfig({ HTTP_REQUEST_TIMEOUT_MS: '5000', HTTP_HEADERS_TIMEOUT_MS: '6000' })).toThrow(/^HTTP_HEADERS_TIMEOUT_MS must not be greater than HTTP_REQUEST_TIMEOUT_MS/);
    expect(loadConfig({ HTTP_REQUEST_TIMEOUT_MS: '0', HTTP_HEADERS_TIMEOUT_MS: '6000' }).httpHeadersTimeoutMs).toBe(6000); // 0: no request timeout
    expect(() => loadConfig({ SSE_HEARTBEAT_MS: '60000' })).toThrow(/^HTTP_CONNECTION_TIMEOUT_MS must be greater than SSE_HEARTBEAT_MS/);
    expect(loadConfig({ SSE_HEARTBEAT_MS: '60000', HTTP_CONNECTION_TIMEOUT_MS: '0' }).httpConnectionTimeoutMs).toBe(0);
    expect(loadConfig({ SSE_HEARTBEAT_MS: '60000', HTTP_CONNECTION_TIMEOUT_MS: '90000' }).httpConnectionTimeoutMs).toBe(90_000);
  });

  it('TRUST_PROXY: off by default; true/false, a hop count, or IPs / CIDRs; anything else names the variable', () => {
    expect(loadConfig({}).trustProxy).toBe(false);
    expect(loadConfig({}).authFailuresPerMinute).toBe(30);
    expect(loadConfig({ TRUST_PROXY: 'true' }).trustProxy).toBe(true);
    expect(loadConfig({ TRUST_PROXY: 'FALSE' }).trustProxy).toBe(false);
    expect(loadConfig({ TRUST_PROXY: '2' }).trustProxy).toBe(2);
    expect(loadConfig({ TRUST_PROXY: '10.0.0.1, 192.168.0.0/16,::1,fd00::/8,loopback' }).trustProxy).toEqual([
      '10.0.0.1',
      '192.168.0.0/16',
      '::1',
      'fd00::/8',
      'loopback',
    ]);
    for (const bad of ['yes please', '10.0.0.300', '10.0.0.0/33', '::1/129', '10.0.0.1/8/8', 'proxy.example', '1e2', '10.0.0.1,']) {
      expect(() => loadConfig({ TRUST_PROXY: bad })).toThrow(ConfigError);
      expect(() => loadConfig({ TRUST_PROXY: bad })).toThrow(/^TRUST_PROXY must be/);
    }
  });
});
