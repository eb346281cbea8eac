/** Service configuration, read once from the environment (see README's configuration table). */
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
  orgUrl: string;
  publicBaseUrl: string;
  /** Writes per minute per API key (RATE_LIMIT_PER_MINUTE, 1200; 0: no limit). Optional: absent means the default. */
  rateLimitWritesPerMinute?: number;
  /** Reads per minute per API key (RATE_LIMIT_READS_PER_MINUTE, 12000; 0: no limit). */
  rateLimitReadsPerMinute?: number;
  /** Live SSE streams per API key at once (SSE_MAX_CLIENTS_PER_KEY, 64; 0: no limit). */
  sseMaxClientsPerKey?: number;
}

function bool(value: string | undefined, fallback: boolean, name: string): boolean {
  if (value === undefined || value === '') return fallback;
  const v = value.trim().toLowerCase();
  if (['1', 'true', 'yes', 'on'].includes(v)) return true;
  if (['0', 'false', 'no', 'off'].includes(v)) return false;
  throw new Error(`${name} must be true or false, got "${value}"`);
}

function int(value: string | undefined, fallback: number, name: string, min: number, max: number): number {
  if (value === undefined || value === '') return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) throw new Error(`${name} must be an integer in ${min}..${max}, got "${value}"`);
  return n;
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
    orgUrl: env.ORG_URL || 'http://localhost:3000',
    publicBaseUrl: (env.PUBLIC_BASE_URL || `http://localhost:${port}`).replace(/\/+$/, ''),
    rateLimitWritesPerMinute: int(env.RATE_LIMIT_PER_MINUTE, 1200, 'RATE_LIMIT_PER_MINUTE', 0, 100_000_000),
    rateLimitReadsPerMinute: int(env.RATE_LIMIT_READS_PER_MINUTE, 12_000, 'RATE_LIMIT_READS_PER_MINUTE', 0, 100_000_000),
    sseMaxClientsPerKey: int(env.SSE_MAX_CLIENTS_PER_KEY, 64, 'SSE_MAX_CLIENTS_PER_KEY', 0, 1_000_000),
    ...overrides,
  };
  if (config.databaseUrl !== null && !/^postgres(ql)?:\/\//.test(config.databaseUrl)) {
    throw new Error('DATABASE_URL must be a postgres:// URL (leave it unset for the SQLite file at DATABASE_PATH)');
  }
  if (config.databaseSchema !== null && !/^[a-z_][a-z0-9_]{0,62}$/.test(config.databaseSchema)) {
    throw new Error('DATABASE_SCHEMA must be a plain lower-case identifier');
  }
  if (config.adminApiKey !== null && config.adminApiKey.length < 16) {
    throw new Error('ADMIN_API_KEY must be at least 16 characters');
  }
  return config;
}

export const APP_CONFIG = Symbol('APP_CONFIG');
