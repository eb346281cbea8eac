/**
 * Service configuration: every environment variable the service reads is read and validated
 * here, once (see README's configuration table). A bad value throws ConfigError naming the
 * variable; main.ts and the other entry points print it and exit 1.
 */
import { dirname, join } from 'node:path';
import { createPrivateKey } from 'node:crypto';
import { isIP } from 'node:net';

export interface AppConfig {
  port: number;
  host: string;
  databasePath: string;
  /** postgres://… : run on PostgreSQL instead of the SQLite file (several API/worker machines). */
  databaseUrl: string | null;
  /** PostgreSQL schema to use (search_path); null: the server's default. */
  databaseSchema: string | null;
  redisUrl: string | null;
  /** BullMQ key prefix, so several deployments (or test runs) can share one Redis. */
  queuePrefix: string;
  runWorkers: boolean;
  adminApiKey: string | null;
  publicRead: boolean;
  /** How often the log tail looks for rows written by other processes. */
  pollIntervalMs: number;
  logLevel: string;
  orgName: string;
  /** The publishing organisation's URL in ClaimReview `author.url` (ORG_URL; default PUBLIC_BASE_URL). */
  orgUrl: string;
  /**
   * Where the service is reached from outside (PUBLIC_BASE_URL, default `http://localhost:<PORT>`,
   * no trailing slash): every absolute URL the service writes (ClaimReview `url`, `@id`, proof
   * and feed links, the claim page's canonical link) starts with it, never with a request's Host.
   */
  publicBaseUrl: string;
  /** Writes per minute per API key (RATE_LIMIT_PER_MINUTE, 1200; 0: no limit). Optional: absent means the default. */
  rateLimitWritesPerMinute?: number;
  /** Reads per minute per API key (RATE_LIMIT_READS_PER_MINUTE, 12000; 0: no limit). */
  rateLimitReadsPerMinute?: number;
  /** Live SSE streams per API key at once (SSE_MAX_CLIENTS_PER_KEY, 64; 0: no limit). */
  sseMaxClientsPerKey?: number;
  /** Failed authentications per client address per minute; over it a bad key gets 429 (AUTH_FAILURES_PER_MINUTE, 30; 0: no limit). */
  authFailuresPerMinute?: number;
  /**
   * Which proxies' X-Forwarded-For is believed for request.ip (TRUST_PROXY): false (default: the
   * socket's address), true (any), a hop count, or a list of addresses / CIDRs (Fastify's trustProxy).
   */
  trustProxy?: boolean | number | string[];
  /** Live feed: heartbeat comment interval (SSE_HEARTBEAT_MS, 15000). */
  sseHeartbeatMs: number;
  /** Live feed: events kept for the fan-out (SSE_BUFFER_EVENTS, 4096). */
  sseBufferEvents: number;
  /** Live feed: bytes a slow client may have queued before it is dropped (SSE_MAX_BUFFERED_BYTES, 8 MiB). */
  sseMaxBufferedBytes: number;
  /** Live feed: writes per second per client (SSE_WRITES_PER_SECOND, 2000). */
  sseWritesPerSecond: number;
  /** Live feed: longest wait before a partial batch is flushed (SSE_MAX_FLUSH_DELAY_MS, 1000). */
  sseMaxFlushDelayMs: number;
  /** Live feed: live streams at once in all (SSE_MAX_CLIENTS, 1000; shared by all API processes with REDIS_URL; 0: no limit). */
  sseMaxClients: number;
  /** Live feed: keyless streams (PUBLIC_READ) at once per client address (SSE_MAX_CLIENTS_PER_IP, 16; 0: no limit). */
  sseMaxClientsPerIp: number;
  /** Live feed: a client whose socket has not drained for this long is dropped (SSE_SLOW_CLIENT_MS, 30000). */
  sseSlowClientMs: number;
  /** Live feed: a stream ticket (POST /api/events/stream-tickets) is valid this long, for one connection (SSE_TICKET_TTL_MS, 60000). */
  sseTicketTtlMs: number;
  /** Live feed with REDIS_URL: a process's stream leases expire this long after its last heartbeat (SSE_LEASE_TTL_MS, 15000). */
  sseLeaseTtlMs: number;
  /** BullMQ jobs run at once per queue and process (WORKER_CONCURRENCY, 8). */
  workerConcurrency: number;
  /** BullMQ job lock; a worker that dies loses its jobs to another after this (JOB_LOCK_DURATION_MS, 30000). */
  jobLockDurationMs: number;
  /** How often BullMQ looks for stalled jobs (JOB_STALLED_INTERVAL_MS, 30000). */
  jobStalledIntervalMs: number;
  /** Production (NODE_ENV=production): the first admin key goes to ADMIN_KEY_FILE, never to stdout or logs. */
  production: boolean;
  /** Where a generated first admin key is written in production (ADMIN_KEY_FILE; default `initial-admin-key` beside the database file). */
  adminKeyFile: string;
  /** How long `npm run migrate` waits for a database that does not answer yet (MIGRATE_WAIT_MS, 60000; 0: not at all). */
  migrateWaitMs: number;
  /** /health says workers are down when a job has waited this long with no live worker on its queue (WORKER_STALE_MS, 30000). */
  workerStaleMs: number;
  /** Test and demo hook: a pause before each job's append, to widen crash windows (JOB_PAUSE_BEFORE_APPEND_MS, 0). */
  jobPauseBeforeAppendMs: number;
  /** Whole-chain re-verification in the background (CHAIN_FULL_VERIFY_MS, 1 h; 0: never). */
  chainFullVerifyMs: number;
  /** Calls of GET /api/ledger/verify per minute per API key, or per address without one (VERIFY_RATE_LIMIT_PER_MINUTE, 60; 0: no limit). */
  verifyRateLimitPerMinute: number;
  /** Idempotency-Key records are kept this long; after it the key counts as new and the record is purged (IDEMPOTENCY_TTL_HOURS, 24). */
  idempotencyTtlHours: number;
  /** How often the API process deletes expired Idempotency-Key records (IDEMPOTENCY_PURGE_INTERVAL_MS, 600000; 0: never). */
  idempotencyPurgeIntervalMs: number;
  /** When set, GET /metrics needs `Authorization: Bearer <METRICS_TOKEN>` (else 401); null: /metrics is public. */
  metricsToken: string | null;
  /** Longest graceful shutdown before the process exits anyway (SHUTDOWN_TIMEOUT_MS, 25000). */
  shutdownTimeoutMs: number;
  /** Live streams still open this long into a shutdown are cut (SHUTDOWN_HTTP_GRACE_MS, 10000). */
  shutdownHttpGraceMs: number;
  /** A worker process's own /metrics port (METRICS_PORT; null: none). */
  metricsPort: number | null;
  /** Where the dashboard's files are (DASHBOARD_DIR; null: next to the code). */
  dashboardDir: string | null;
  /**
   * The log's Ed25519 signing key (LEDGER_SIGNING_KEY: PKCS#8 PEM or a base64 32-byte seed);
   * null: generated on first start into a 0600 file beside the database. Never logged.
   */
  ledgerSigningKey: string | null;
  /** The checkpoint origin and key name (LEDGER_ORIGIN; default `<host of PUBLIC_BASE_URL, else localhost>/claim-ledger`). */
  ledgerOrigin: string;
  /** A new checkpoint is signed when the log has grown, at most this often (CHECKPOINT_INTERVAL_MS, 5000). */
  checkpointIntervalMs: number;
  /** Largest import upload in bytes (IMPORT_MAX_BYTES, 512 MiB); over it 413. */
  importMaxBytes: number;
  /** Where uploaded import files are kept (IMPORT_DIR; default: an `imports` folder beside the database file). */
  importDir: string | null;
  /** Rows an import decides and appends together, one checkpoint each (IMPORT_BATCH_ROWS, 2000: the event store's largest group commit). */
  importBatchRows: number;
  /** ClaimReview answers 409 until an editor's review is published (REVIEW_REQUIRED, false). */
  reviewRequired: boolean;
  /** Webhook retry delays after each failed attempt, then `failed` (WEBHOOK_RETRY_SCHEDULE_MS, "5000,300000,1800000,7200000,18000000,36000000"). */
  webhookRetryScheduleMs: number[];
  /** Webhook URLs may resolve to loopback, private or link-local addresses (WEBHOOK_ALLOW_PRIVATE, false). */
  webhookAllowPrivate: boolean;
  /** One webhook attempt times out after this (WEBHOOK_TIMEOUT_MS, 10000). */
  webhookTimeoutMs: number;
  /**
   * HTTP server limits against slow or idle clients (0 turns one off): the whole request (headers
   * and body) must arrive within HTTP_REQUEST_TIMEOUT_MS (120000), its headers within
   * HTTP_HEADERS_TIMEOUT_MS (10000); an idle kept-alive connection closes after
   * HTTP_KEEPALIVE_TIMEOUT_MS (10000), any connection silent both ways after
   * HTTP_CONNECTION_TIMEOUT_MS (60000; must exceed SSE_HEARTBEAT_MS); at most HTTP_MAX_CONNECTIONS
   * (4096) connections at once, further ones are closed on arrival.
   */
  httpRequestTimeoutMs: number;
  httpHeadersTimeoutMs: number;
  httpKeepAliveTimeoutMs: number;
  httpConnectionTimeoutMs: number;
  httpMaxConnections: number;
  /**
   * The time source of scheduled work (pledge windows, webhook retries). Not an environment
   * variable: tests pass a clock they move instead of sleeping. Absent: the system clock.
   */
  clock?: () => Date;
}

/** A configuration value that cannot be used: the process stops with this message, naming the variable. */
export class ConfigError extends Error {}

function bool(value: string | undefined, fallback: boolean, name: string): boolean {
  if (value === undefined || value === '') return fallback;
  const v = value.trim().toLowerCase();
  if (['1', 'true', 'yes', 'on'].includes(v)) return true;
  if (['0', 'false', 'no', 'off'].includes(v)) return false;
  throw new ConfigError(`${name} must be true or false, got "${value}"`);
}

/** A comma-separated list of delays in ms (each 0..max). */
function intList(value: string | undefined, fallback: number[], name: string, max: number): number[] {
  if (value === undefined || value === '') return fallback;
  const parts = value.split(',').map((p) => p.trim());
  if (parts.length === 0 || parts.length > 50 || parts.some((p) => !/^\d{1,16}$/.test(p) || Number(p) > max)) {
    throw new ConfigError(`${name} must be a comma-separated list of up to 50 integers in 0..${max} (milliseconds), got "${value}"`);
  }
  return parts.map(Number);
}

/** Names proxy-addr (under Fastify's trustProxy) knows for address ranges. */
const PROXY_RANGE_NAMES = ['loopback', 'linklocal', 'uniquelocal'];

/** TRUST_PROXY: true/false, a hop count, or comma-separated IPs / CIDRs (or loopback, linklocal, uniquelocal). */
function trustProxy(value: string | undefined): boolean | number | string[] {
  if (value === undefined || value.trim() === '') return false;
  const v = value.trim();
  if (/^(true|false)$/i.test(v)) return v.toLowerCase() === 'true';
  if (/^\d{1,3}$/.test(v)) return Number(v);
  const parts = v.split(',').map((p) => p.trim());
  const valid = (p: string): boolean => {
    if (PROXY_RANGE_NAMES.includes(p)) return true;
    const [ip, bits, ...rest] = p.split('/');
    const family = isIP(ip);
    if (family === 0 || rest.length > 0) return false;
    return bits === undefined || (/^\d{1,3}$/.test(bits) && Number(bits) <= (family === 4 ? 32 : 128));
  };
  const bad = parts.find((p) => !valid(p));
  if (bad !== undefined) {
    throw new ConfigError(`TRUST_PROXY must be true, false, a hop count, or comma-separated IP addresses / CIDRs, got "${bad}" in "${value}"`);
  }
  return parts;
}

export const DEFAULT_WEBHOOK_RETRY_SCHEDULE_MS = [5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000];

function int(value: string | undefined, fallback: number, name: string, min: number, max: number): number {
  if (value === undefined || value === '') return fallback;
  // Decimal digits only: Number() would also take "1e3", "0x10" and " 5 ".
  const n = /^\d{1,16}$/.test(value) ? Number(value) : NaN;
  if (!Number.isInteger(n) || n < min || n > max) throw new ConfigError(`${name} must be an integer in ${min}..${max}, got "${value}"`);
  return n;
}

/** LEDGER_SIGNING_KEY: an Ed25519 private key as PKCS#8 PEM, or base64 of a 32-byte seed. The value is never echoed. */
function signingKey(value: string): string {
  const v = value.trim();
  if (v.startsWith('-----BEGIN')) {
    try {
      if (createPrivateKey(v).asymmetricKeyType === 'ed25519') return v;
    } catch {
      /* reported below */
    }
  } else if (/^[A-Za-z0-9+/]{43}=$/.test(v) && Buffer.from(v, 'base64').length === 32) {
    return v;
  }
  throw new ConfigError('LEDGER_SIGNING_KEY must be an Ed25519 private key in PKCS#8 PEM, or base64 of a 32-byte seed');
}

/** METRICS_TOKEN: compared with the Bearer token of GET /metrics; long enough not to be guessed, and header-safe. The value is never echoed. */
function metricsToken(value: string): string {
  if (!/^[\x21-\x7e]{16,512}$/.test(value)) throw new ConfigError('METRICS_TOKEN must be 16..512 visible ASCII characters (no spaces)');
  return value;
}

/** A C2SP key name: non-empty, no whitespace, no '+'. */
function keyName(value: string, name: string): string {
  if (!/^[^\s+]{1,200}$/u.test(value)) throw new ConfigError(`${name} must be a key name without spaces or '+', got "${value}"`);
  return value;
}

/** An absolute http(s) URL without query or fragment, as a base for others; trailing slashes dropped. */
function baseUrl(value: string, name: string): string {
  let u: URL | null = null;
  try {
    u = new URL(value);
  } catch {
    /* reported below */
  }
  if (!u || (u.protocol !== 'http:' && u.protocol !== 'https:') || !u.hostname || u.search || u.hash || u.username || u.password) {
    throw new ConfigError(`${name} must be an absolute http(s) URL without query, fragment or credentials, e.g. https://factcheck.example, got "${value}"`);
  }
  return value.replace(/\/+$/, '');
}

function hostOf(url: string): string {
  try {
    const host = new URL(url).host;
    if (host) return host;
  } catch {
    /* reported below */
  }
  throw new ConfigError(`PUBLIC_BASE_URL must be an absolute URL, got "${url}"`);
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env, overrides: Partial<AppConfig> = {}): AppConfig {
  const port = int(env.PORT, 3000, 'PORT', 0, 65535);
  const config: AppConfig = {
    port,
    host: env.HOST || '0.0.0.0',
    databasePath: env.DATABASE_PATH || './data/ledger.sqlite',
    databaseUrl: env.DATABASE_URL ? env.DATABASE_URL : null,
    databaseSchema: env.DATABASE_SCHEMA ? env.DATABASE_SCHEMA : null,
    redisUrl: env.REDIS_URL ? env.REDIS_URL : null,
    queuePrefix: env.QUEUE_PREFIX || 'claim-ledger',
    runWorkers: bool(env.RUN_WORKERS, true, 'RUN_WORKERS'),
    adminApiKey: env.ADMIN_API_KEY ? env.ADMIN_API_KEY : null,
    publicRead: bool(env.PUBLIC_READ, false, 'PUBLIC_READ'),
    pollIntervalMs: int(env.POLL_INTERVAL_MS, 250, 'POLL_INTERVAL_MS', 10, 60_000),
    logLevel: env.LOG_LEVEL || 'info',
    orgName: env.ORG_NAME || 'claim-ledger',
    // One setting for every base URL: ORG_URL only when the organisation's site is elsewhere.
    orgUrl: env.ORG_URL ? baseUrl(env.ORG_URL, 'ORG_URL') : env.PUBLIC_BASE_URL ? baseUrl(env.PUBLIC_BASE_URL, 'PUBLIC_BASE_URL') : `http://localhost:${port}`,
    publicBaseUrl: env.PUBLIC_BASE_URL ? baseUrl(env.PUBLIC_BASE_URL, 'PUBLIC_BASE_URL') : `http://localhost:${port}`,
    rateLimitWritesPerMinute: int(env.RATE_LIMIT_PER_MINUTE, 1200, 'RATE_LIMIT_PER_MINUTE', 0, 100_000_000),
    rateLimitReadsPerMinute: int(env.RATE_LIMIT_READS_PER_MINUTE, 12_000, 'RATE_LIMIT_READS_PER_MINUTE', 0, 100_000_000),
    sseMaxClientsPerKey: int(env.SSE_MAX_CLIENTS_PER_KEY, 64, 'SSE_MAX_CLIENTS_PER_KEY', 0, 1_000_000),
    authFailuresPerMinute: int(env.AUTH_FAILURES_PER_MINUTE, 30, 'AUTH_FAILURES_PER_MINUTE', 0, 100_000_000),
    trustProxy: trustProxy(env.TRUST_PROXY),
    sseHeartbeatMs: int(env.SSE_HEARTBEAT_MS, 15_000, 'SSE_HEARTBEAT_MS', 10, 3_600_000),
    sseBufferEvents: int(env.SSE_BUFFER_EVENTS, 4096, 'SSE_BUFFER_EVENTS', 0, 1_000_000),
    sseMaxBufferedBytes: int(env.SSE_MAX_BUFFERED_BYTES, 8 * 1024 * 1024, 'SSE_MAX_BUFFERED_BYTES', 64 * 1024, 1024 * 1024 * 1024),
    sseWritesPerSecond: int(env.SSE_WRITES_PER_SECOND, 2000, 'SSE_WRITES_PER_SECOND', 100, 10_000_000),
    sseMaxFlushDelayMs: int(env.SSE_MAX_FLUSH_DELAY_MS, 1000, 'SSE_MAX_FLUSH_DELAY_MS', 0, 10_000),
    sseMaxClients: int(env.SSE_MAX_CLIENTS, 1000, 'SSE_MAX_CLIENTS', 0, 1_000_000),
    sseMaxClientsPerIp: int(env.SSE_MAX_CLIENTS_PER_IP, 16, 'SSE_MAX_CLIENTS_PER_IP', 0, 1_000_000),
    sseSlowClientMs: int(env.SSE_SLOW_CLIENT_MS, 30_000, 'SSE_SLOW_CLIENT_MS', 100, 86_400_000),
    sseTicketTtlMs: int(env.SSE_TICKET_TTL_MS, 60_000, 'SSE_TICKET_TTL_MS', 100, 3_600_000),
    sseLeaseTtlMs: int(env.SSE_LEASE_TTL_MS, 15_000, 'SSE_LEASE_TTL_MS', 1000, 3_600_000),
    workerConcurrency: int(env.WORKER_CONCURRENCY, 8, 'WORKER_CONCURRENCY', 1, 1000),
    jobLockDurationMs: int(env.JOB_LOCK_DURATION_MS, 30_000, 'JOB_LOCK_DURATION_MS', 100, 86_400_000),
    jobStalledIntervalMs: int(env.JOB_STALLED_INTERVAL_MS, 30_000, 'JOB_STALLED_INTERVAL_MS', 100, 86_400_000),
    production: env.NODE_ENV === 'production',
    adminKeyFile: env.ADMIN_KEY_FILE || join(dirname(env.DATABASE_PATH || './data/ledger.sqlite'), 'initial-admin-key'),
    migrateWaitMs: int(env.MIGRATE_WAIT_MS, 60_000, 'MIGRATE_WAIT_MS', 0, 3_600_000),
    workerStaleMs: int(env.WORKER_STALE_MS, 30_000, 'WORKER_STALE_MS', 100, 86_400_000),
    jobPauseBeforeAppendMs: int(env.JOB_PAUSE_BEFORE_APPEND_MS, 0, 'JOB_PAUSE_BEFORE_APPEND_MS', 0, 3_600_000),
    chainFullVerifyMs: int(env.CHAIN_FULL_VERIFY_MS, 3_600_000, 'CHAIN_FULL_VERIFY_MS', 0, 2_147_483_647),
    verifyRateLimitPerMinute: int(env.VERIFY_RATE_LIMIT_PER_MINUTE, 60, 'VERIFY_RATE_LIMIT_PER_MINUTE', 0, 100_000_000),
    idempotencyTtlHours: int(env.IDEMPOTENCY_TTL_HOURS, 24, 'IDEMPOTENCY_TTL_HOURS', 1, 87_600),
    idempotencyPurgeIntervalMs: int(env.IDEMPOTENCY_PURGE_INTERVAL_MS, 600_000, 'IDEMPOTENCY_PURGE_INTERVAL_MS', 0, 2_147_483_647),
    metricsToken: env.METRICS_TOKEN ? metricsToken(env.METRICS_TOKEN) : null,
    shutdownTimeoutMs: int(env.SHUTDOWN_TIMEOUT_MS, 25_000, 'SHUTDOWN_TIMEOUT_MS', 1, 3_600_000),
    shutdownHttpGraceMs: int(env.SHUTDOWN_HTTP_GRACE_MS, 10_000, 'SHUTDOWN_HTTP_GRACE_MS', 1, 3_600_000),
    metricsPort: env.METRICS_PORT ? int(env.METRICS_PORT, 0, 'METRICS_PORT', 1, 65535) : null,
    dashboardDir: env.DASHBOARD_DIR ? env.DASHBOARD_DIR : null,
    ledgerSigningKey: env.LEDGER_SIGNING_KEY ? signingKey(env.LEDGER_SIGNING_KEY) : null,
    ledgerOrigin: env.LEDGER_ORIGIN ? keyName(env.LEDGER_ORIGIN, 'LEDGER_ORIGIN') : `${env.PUBLIC_BASE_URL ? hostOf(env.PUBLIC_BASE_URL) : 'localhost'}/claim-ledger`,
    checkpointIntervalMs: int(env.CHECKPOINT_INTERVAL_MS, 5000, 'CHECKPOINT_INTERVAL_MS', 10, 86_400_000),
    importMaxBytes: int(env.IMPORT_MAX_BYTES, 512 * 1024 * 1024, 'IMPORT_MAX_BYTES', 1, Number.MAX_SAFE_INTEGER),
    importDir: env.IMPORT_DIR ? env.IMPORT_DIR : null,
    importBatchRows: int(env.IMPORT_BATCH_ROWS, 2000, 'IMPORT_BATCH_ROWS', 1, 2000),
    reviewRequired: bool(env.REVIEW_REQUIRED, false, 'REVIEW_REQUIRED'),
    webhookRetryScheduleMs: intList(env.WEBHOOK_RETRY_SCHEDULE_MS, DEFAULT_WEBHOOK_RETRY_SCHEDULE_MS, 'WEBHOOK_RETRY_SCHEDULE_MS', 2_147_483_647),
    webhookAllowPrivate: bool(env.WEBHOOK_ALLOW_PRIVATE, false, 'WEBHOOK_ALLOW_PRIVATE'),
    webhookTimeoutMs: int(env.WEBHOOK_TIMEOUT_MS, 10_000, 'WEBHOOK_TIMEOUT_MS', 1, 600_000),
    httpRequestTimeoutMs: int(env.HTTP_REQUEST_TIMEOUT_MS, 120_000, 'HTTP_REQUEST_TIMEOUT_MS', 0, 86_400_000),
    httpHeadersTimeoutMs: int(env.HTTP_HEADERS_TIMEOUT_MS, 10_000, 'HTTP_HEADERS_TIMEOUT_MS', 0, 86_400_000),
    httpKeepAliveTimeoutMs: int(env.HTTP_KEEPALIVE_TIMEOUT_MS, 10_000, 'HTTP_KEEPALIVE_TIMEOUT_MS', 0, 86_400_000),
    httpConnectionTimeoutMs: int(env.HTTP_CONNECTION_TIMEOUT_MS, 60_000, 'HTTP_CONNECTION_TIMEOUT_MS', 0, 86_400_000),
    httpMaxConnections: int(env.HTTP_MAX_CONNECTIONS, 4096, 'HTTP_MAX_CONNECTIONS', 0, 10_000_000),
    ...overrides,
  };
  if (config.databaseUrl !== null && !/^postgres(ql)?:\/\//.test(config.databaseUrl)) {
    throw new ConfigError('DATABASE_URL must be a postgres:// URL (leave it unset for the SQLite file at DATABASE_PATH)');
  }
  if (config.databaseSchema !== null && !/^[a-z_][a-z0-9_]{0,62}$/.test(config.databaseSchema)) {
    throw new ConfigError('DATABASE_SCHEMA must be a plain lower-case identifier');
  }
  if (config.httpRequestTimeoutMs > 0 && config.httpHeadersTimeoutMs > config.httpRequestTimeoutMs) {
    // Node refuses a headers timeout longer than the whole request's.
    throw new ConfigError('HTTP_HEADERS_TIMEOUT_MS must not be greater than HTTP_REQUEST_TIMEOUT_MS');
  }
  if (config.httpConnectionTimeoutMs > 0 && config.httpConnectionTimeoutMs <= config.sseHeartbeatMs) {
    // An idle live feed is kept open by its heartbeats: a shorter idle timeout would cut it.
    throw new ConfigError('HTTP_CONNECTION_TIMEOUT_MS must be greater than SSE_HEARTBEAT_MS (or 0: no idle timeout)');
  }
  if (config.adminApiKey !== null && config.adminApiKey.length < 16) {
    throw new ConfigError('ADMIN_API_KEY must be at least 16 characters');
  }
  return config;
}

export const APP_CONFIG = Symbol('APP_CONFIG');
