import Ajv from 'ajv';
import draft07 from 'ajv/dist/refs/json-schema-draft-07.json';
import IORedis from 'ioredis';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parse } from 'yaml';
import { freePort, startRedisServer } from '../../support/jobs';
import { ROOT } from './helpers';

type Service = {
  image?: string;
  build?: { context: string; dockerfile: string } | string;
  command?: string[] | string;
  environment?: Record<string, string>;
  volumes?: string[];
  profiles?: string[];
  ports?: string[];
  depends_on?: Record<string, { condition: string; required?: boolean }>;
  healthcheck?: { test: string[] };
};
type Compose = { services: Record<string, Service>; volumes: Record<string, unknown> };

/**
 * The Compose specification's JSON schema (compose-spec/compose-go's compose_spec.json), as the
 * maintained `dclint` package ships and updates it (schemas/compose.schema.json, MIT).
 */
function composeSpecSchema(): Record<string, unknown> {
  return JSON.parse(readFileSync(join(dirname(require.resolve('dclint/package.json')), 'schemas', 'compose.schema.json'), 'utf8'));
}

/** Compose's variable interpolation for `${NAME:-default}` and `${NAME}` (what the file uses). */
function interpolate(value: string, env: Record<string, string | undefined>): string {
  return value.replace(/\$\{([A-Z0-9_]+)(?::-([^}]*))?\}/g, (_m, name: string, fallback: string | undefined) => env[name] || fallback || '');
}

/**
 * Docker does not run on this machine: this keeps docker-compose.yml honest by reading it. The
 * file uses YAML anchors and merge keys (`<<`), which Compose supports; they are resolved here.
 */
describe('docker-compose.yml', () => {
  const text = readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8');
  const compose = parse(text, { merge: true }) as Compose;
  const svc = compose.services;
  const command = (s: Service) => (Array.isArray(s.command) ? s.command.join(' ') : s.command ?? '');

  it('conforms to the Compose specification’s JSON schema (checked with ajv; a broken copy fails)', () => {
    const schema = composeSpecSchema();
    const ajv = new Ajv({ allErrors: true, strict: false });
    // The schema names its meta-schema without the trailing '#': the same draft-07 under that id.
    ajv.addMetaSchema({ ...draft07, $id: String(schema.$schema) });
    const validate = ajv.compile(schema);
    const valid = validate(compose);
    expect(validate.errors ?? []).toEqual([]);
    expect(valid).toBe(true);
    // The check bites: a misspelt key and a number where Compose wants a duration are refused.
    const broken = parse(text, { merge: true }) as Compose & { services: Record<string, Record<string, unknown>> };
    broken.services.api.healthchek = broken.services.api.healthcheck;
    (broken.services.redis.healthcheck as Record<string, unknown>).interval = 5;
    expect(validate(broken)).toBe(false);
    expect(validate.errors?.map((e) => `${e.instancePath} ${e.message}`)).toEqual(
      expect.arrayContaining(['/services/api must NOT have additional properties', '/services/redis/healthcheck/interval must be string']),
    );
  });

  it('gives Redis a password (REDIS_PASSWORD, with a local default) and every service the same one in REDIS_URL', () => {
    const requirepass = svc.redis.command as string[];
    const password = requirepass[requirepass.indexOf('--requirepass') + 1];
    expect(password).toMatch(/^\$\{REDIS_PASSWORD:-[A-Za-z0-9._~-]{8,}\}$/);
    // redis-cli (the health check) authenticates through REDISCLI_AUTH, not its command line.
    expect(svc.redis.environment?.REDISCLI_AUTH).toBe(password);
    for (const name of ['api', 'worker-1', 'worker-2', 'migrate']) {
      expect(svc[name].environment?.REDIS_URL).toBe(`redis://:${password}@redis:6379/0`);
    }
  });

  it('its REDIS_URL works against a real Redis started with its requirepass (and one without the password is refused)', async () => {
    const port = await freePort();
    const env = {}; // nothing set: the file's defaults, as on a developer's machine
    const requirepass = svc.redis.command as string[];
    const redis = await startRedisServer(port, { requirepass: interpolate(requirepass[requirepass.indexOf('--requirepass') + 1], env) });
    const url = interpolate(svc.api.environment!.REDIS_URL, env).replace('@redis:6379/', `@127.0.0.1:${port}/`);
    const withPassword = new IORedis(url, { maxRetriesPerRequest: 1 });
    const without = new IORedis({ host: '127.0.0.1', port, lazyConnect: true, enableReadyCheck: false, maxRetriesPerRequest: 1, retryStrategy: () => null });
    const refusals: string[] = [];
    without.on('error', (err: Error) => refusals.push(err.message));
    try {
      expect(await withPassword.ping()).toBe('PONG');
      // ioredis reports the server's NOAUTH as an error event, then the connection closes.
      await without.connect().then(() => without.ping()).catch((err: Error) => refusals.push(err.message));
      expect(refusals.join('\n')).toMatch(/NOAUTH/);
    } finally {
      withPassword.disconnect();
      without.disconnect();
      await redis.stop();
    }
  });

  it('names the services: api, worker-1, worker-2, redis, postgres (and the one-shot migrate)', () => {
    expect(Object.keys(svc).sort()).toEqual(['api', 'migrate', 'postgres', 'redis', 'worker-1', 'worker-2']);
  });

  it('runs Redis with persistence on (append-only file) on a volume', () => {
    const cmd = command(svc.redis);
    expect(cmd).toMatch(/--appendonly yes/);
    expect(svc.redis.volumes).toEqual(expect.arrayContaining([expect.stringMatching(/^redis-data:\/data$/)]));
    expect(svc.redis.healthcheck?.test.join(' ')).toContain('ping');
  });

  it('runs the API without workers and two workers, all from the image the Dockerfile builds', () => {
    expect(command(svc.api)).toBe('node dist/main.js');
    expect(svc.api.environment?.RUN_WORKERS).toBe('false');
    expect(svc.api.ports).toEqual(['3000:3000']);
    for (const name of ['worker-1', 'worker-2']) {
      expect(command(svc[name])).toBe('node dist/worker.js');
      expect(svc[name].profiles).toBeUndefined();
    }
    expect(command(svc.migrate)).toBe('node dist/migrate.js');
    for (const name of ['api', 'worker-1', 'worker-2', 'migrate']) {
      const s = svc[name];
      expect(s.build).toMatchObject({ context: '.', dockerfile: 'Dockerfile' });
      expect(s.environment).toMatchObject({ DATABASE_PATH: '/data/ledger.sqlite', REDIS_URL: expect.stringMatching(/@redis:6379\/0$/) });
      // One SQLite file for all of them, on a named volume.
      expect(s.volumes).toEqual(['ledger-data:/data']);
    }
    for (const name of ['api', 'worker-1', 'worker-2']) {
      expect(svc[name].depends_on).toMatchObject({
        redis: { condition: 'service_healthy' },
        migrate: { condition: 'service_completed_successfully' },
      });
    }
  });

  it('offers PostgreSQL as an optional profile, with its data on a volume', () => {
    expect(svc.postgres.profiles).toEqual(['postgres']);
    expect(svc.postgres.image).toMatch(/^postgres:/);
    expect(svc.postgres.volumes).toEqual(['pg-data:/var/lib/postgresql/data']);
    for (const name of ['api', 'worker-1', 'worker-2', 'migrate', 'redis']) expect(svc[name].profiles).toBeUndefined();
  });

  it('gives every long-running service a health check that targets a port it listens on', () => {
    // What each service listens on: its PORT / METRICS_PORT setting, or the image's default port.
    const listens: Record<string, number> = {
      api: Number(svc.api.environment?.PORT),
      'worker-1': Number(svc['worker-1'].environment?.METRICS_PORT),
      'worker-2': Number(svc['worker-2'].environment?.METRICS_PORT),
      redis: 6379,
      postgres: 5432,
    };
    for (const [name, port] of Object.entries(listens)) {
      const test = svc[name].healthcheck?.test.join(' ') ?? '';
      expect({ name, test }).toEqual({ name, test: expect.stringMatching(/./) });
      expect(Number.isInteger(port) && port > 0).toBe(true);
      if (name === 'redis') expect(test).toMatch(/redis-cli ping/); // redis-cli's default port, 6379
      else if (name === 'postgres') expect(test).toMatch(/pg_isready/); // 5432, the image's default
      else expect(test).toContain(`http://127.0.0.1:${port}/${name === 'api' ? 'health' : 'metrics'}`);
    }
  });

  it('runs migrate after PostgreSQL is healthy when the postgres profile is on, and lets it retry its connection', () => {
    expect(svc.migrate.depends_on).toEqual({ postgres: { condition: 'service_healthy', required: false } });
    expect(Number(svc.migrate.environment?.MIGRATE_WAIT_MS)).toBeGreaterThan(0);
  });

  it('declares every named volume it mounts', () => {
    const named = Object.values(svc)
      .flatMap((s) => s.volumes ?? [])
      .map((v) => v.split(':')[0])
      .filter((v) => !v.startsWith('.') && !v.startsWith('/'));
    expect([...new Set(named)].sort()).toEqual(Object.keys(compose.volumes).sort());
  });

  it('has a Dockerfile building the app on node:20-bookworm-slim with npm ci and npm run build', () => {
    const file = join(ROOT, 'Dockerfile');
    expect(existsSync(file)).toBe(true);
    const docker = readFileSync(file, 'utf8');
    expect(docker).toMatch(/^FROM node:20-bookworm-slim AS build$/m);
    expect(docker).toMatch(/^RUN npm ci$/m);
    expect(docker).toMatch(/npm run build/);
    expect(docker).toMatch(/^CMD \["node", "dist\/main\.js"\]$/m);
  });
});
