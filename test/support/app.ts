import 'reflect-metadata';
import type { Server } from 'node:http';
import { dirname } from 'node:path';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import request from 'supertest';
import { createApp } from '../../src/app.factory';
import { loadConfig, type AppConfig } from '../../src/config/app-config';
import { tempDbPath } from './temp';
import { createHash } from 'node:crypto';
import { TEST_PG_URL, dropSchema } from './postgres';
import { recordResponses, type OpenApiDoc } from './openapi-check';

export { tempDbPath };

/**
 * TEST_DATABASE=postgres runs the same suites on PostgreSQL (`npm run test:pg`): each database
 * "file" maps to its own schema in the test database (the same path, e.g. after a restart, maps to
 * the same schema), dropped when the test file ends.
 */
export const TEST_ON_POSTGRES = process.env.TEST_DATABASE === 'postgres';
const schemasInUse = new Set<string>();
if (TEST_ON_POSTGRES) {
  afterAll(async () => {
    for (const schema of schemasInUse) await dropSchema(schema);
    schemasInUse.clear();
  });
}

function postgresOverrides(dbPath: string): Partial<AppConfig> {
  if (!TEST_ON_POSTGRES) return {};
  const schema = `cl_t_${createHash('sha256').update(dbPath).digest('hex').slice(0, 16)}`;
  schemasInUse.add(schema);
  return { databaseUrl: TEST_PG_URL, databaseSchema: schema };
}

/**
 * Answers outside the OpenAPI document, seen since the last check. Every app bootApp starts
 * checks each of its answers against its own /docs-json (test/support/openapi-check.ts); the
 * test during which such an answer went out fails here, with the path, status and schema error.
 */
const documentViolations: string[] = [];
function failOnDocumentViolations(): void {
  if (documentViolations.length === 0) return;
  const seen = documentViolations.splice(0);
  throw new Error(`${seen.length} answer(s) outside the OpenAPI document:\n- ${[...new Set(seen)].slice(0, 10).join('\n- ')}`);
}
afterEach(failOnDocumentViolations);
afterAll(failOnDocumentViolations);

/**
 * Makes the app ready with every answer checked against its own OpenAPI document (unless
 * `checkResponses` is false or OPENAPI_RESPONSE_CHECK=off): bootApp and the other e2e boot
 * helpers call this instead of `fastify.ready()`.
 */
export async function readyWithDocumentCheck(app: NestFastifyApplication, options: Pick<BootOptions, 'checkResponses' | 'onDocumentViolation'> = {}): Promise<void> {
  const fastify = app.getHttpAdapter().getInstance();
  const check = options.checkResponses ?? process.env.OPENAPI_RESPONSE_CHECK !== 'off';
  const loadDocument = check ? recordResponses(fastify, options.onDocumentViolation ?? ((violation) => documentViolations.push(violation))) : null;
  await fastify.ready();
  if (!loadDocument) return;
  const doc = await fastify.inject({ method: 'GET', url: '/docs-json' });
  if (doc.statusCode !== 200) throw new Error(`GET /docs-json answered ${doc.statusCode}: the answers cannot be checked`);
  loadDocument(doc.json() as OpenApiDoc);
}

/** The admin key every test app is booted with (the `ADMIN_API_KEY` of a real deployment). */
export const TEST_ADMIN_KEY = 'test-admin-key-0123456789abcdef';

/** The checkpoint signing key every test app is booted with (LEDGER_SIGNING_KEY: a base64 32-byte seed; a test value). */
export const TEST_SIGNING_SEED = Buffer.alloc(32, 7).toString('base64');

export interface TestApp {
  app: NestFastifyApplication;
  /** Node's HTTP server, for supertest: `request(t.http).get(...)`. */
  http: Server;
  adminKey: string;
  dbPath: string;
  /** The directory holding the database (a temp dir removed by close(), unless dbPath was passed in). */
  dir: string;
  config: AppConfig;
  close(): Promise<void>;
}

export interface BootOptions {
  /** Config overrides (publicRead, pollIntervalMs, ...). databasePath is chosen by the helper. */
  overrides?: Partial<AppConfig>;
  /** Reuse an existing database file (e.g. to boot again after a restart); the caller owns it. */
  dbPath?: string;
  /**
   * Check every answer against the app's OpenAPI document (default: on; OPENAPI_RESPONSE_CHECK=off
   * turns it off for a local run). Off only for a test that sends what no document describes.
   */
  checkResponses?: boolean;
  /** Where answers outside the document go instead of failing the current test (the fuzz test reports them itself). */
  onDocumentViolation?: (violation: string) => void;
}

/**
 * Boots the real app (createApp + loadConfig) on a fresh temp SQLite file, with an admin key,
 * quiet logs and no Redis. close() shuts the app and removes the temp directory it created.
 */
export async function bootApp(options: BootOptions = {}): Promise<TestApp> {
  const temp = options.dbPath ? null : tempDbPath();
  const dbPath = options.dbPath ?? temp!.dbPath;
  const config = loadConfig(
    {},
    {
      databasePath: dbPath,
      ...postgresOverrides(dbPath),
      adminApiKey: TEST_ADMIN_KEY,
      ledgerSigningKey: TEST_SIGNING_SEED, // (a generated key file would be printed once per app)
      logLevel: 'error',
      redisUrl: null,
      ...options.overrides,
    },
  );
  let app: NestFastifyApplication | undefined;
  try {
    app = await createApp(config);
    await readyWithDocumentCheck(app, options);
  } catch (err) {
    await app?.close().catch(() => undefined);
    temp?.cleanup();
    throw err;
  }
  let closed = false;
  return {
    app,
    http: app.getHttpServer() as Server,
    adminKey: config.adminApiKey ?? TEST_ADMIN_KEY,
    dbPath,
    dir: temp?.dir ?? dirname(dbPath),
    config,
    async close() {
      if (closed) return;
      closed = true;
      try {
        await app.close();
      } finally {
        temp?.cleanup();
      }
    },
  };
}

export const bearer = (key: string): { Authorization: string } => ({ Authorization: `Bearer ${key}` });

export type Role = 'admin' | 'editor' | 'checker' | 'viewer';

export interface CreatedKey {
  id: string;
  name: string;
  role: Role;
  key: string;
}

/** POST /api/api-keys with the admin key; fails the test unless the answer is 201. */
export async function createKey(t: Pick<TestApp, 'http' | 'adminKey'>, role: Role, name = `${role} key`): Promise<CreatedKey> {
  const res = await request(t.http).post('/api/api-keys').set(bearer(t.adminKey)).send({ name, role });
  if (res.status !== 201) throw new Error(`creating a ${role} key answered ${res.status}: ${res.text}`);
  return res.body as CreatedKey;
}

/** One key of each role. */
export async function createRoleKeys(t: Pick<TestApp, 'http' | 'adminKey'>): Promise<Record<Role, CreatedKey>> {
  return {
    admin: await createKey(t, 'admin'),
    editor: await createKey(t, 'editor'),
    checker: await createKey(t, 'checker'),
    viewer: await createKey(t, 'viewer'),
  };
}

/** GET /api/ledger/verify with the given key: `{ok, checked, head}`. */
export async function ledgerHead(t: Pick<TestApp, 'http'>, key: string): Promise<{ position: number; hash: string | null }> {
  const res = await request(t.http).get('/api/ledger/verify').set(bearer(key));
  if (res.status !== 200) throw new Error(`verify answered ${res.status}: ${res.text}`);
  return res.body.head;
}

// --- Sample bodies from the seed article (the project's shared seed-article.txt, The Moscow Times, 30 March 2022) --

export const SEED_ARTICLE_URL = 'https://www.themoscowtimes.com/2022/03/30/kremlin-sees-no-breakthroughs-at-ukraine-talks-a77146';

export const KYIV = { name: 'Kyiv', lat: 50.4501, lon: 30.5234 };
export const CHERNIHIV = { name: 'Chernihiv', lat: 51.4982, lon: 31.2893 };

type Body = Record<string, unknown>;
const clone = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;

/** The pledge by Russian negotiators (Medinsky) to "radically reduce military activity" near Kyiv and Chernihiv. */
export function pledgeBody(extra: Body = {}): Body {
  return {
    kind: 'pledge',
    statement: 'Russian negotiators pledged to "radically reduce military activity" near Kyiv and the northern city of Chernihiv.',
    speaker: { name: 'Vladimir Medinsky', affiliation: 'Russian negotiating delegation' },
    madeAt: '2022-03-29T14:00:00+03:00',
    source: { url: SEED_ARTICLE_URL, publisher: 'The Moscow Times', publishedAt: '2022-03-30T12:00:00+03:00' },
    topics: ['Ukraine', 'peace talks'],
    scope: {
      places: [clone(KYIV), clone(CHERNIHIV)],
      indicators: ['shelling', 'airstrike'],
      from: '2022-03-29T14:00:00+03:00',
      expectation: 'absence',
    },
    ...clone(extra),
  };
}

/** Peskov's claim "We won't invade Crimea, it's part of Russia". */
export function crimeaClaimBody(extra: Body = {}): Body {
  return {
    kind: 'claim',
    statement: "We won't invade Crimea, it's part of Russia",
    speaker: { name: 'Dmitry Peskov', affiliation: 'Kremlin' },
    madeAt: '2022-03-30T12:00:00+03:00',
    source: { url: SEED_ARTICLE_URL, publisher: 'The Moscow Times' },
    topics: ['Crimea'],
    ...clone(extra),
  };
}

/** Evidence against the pledge: local officials reported heavy shelling after the announcement. */
export function evidenceBody(extra: Body = {}): Body {
  return {
    stance: 'contradicts',
    summary: "Local officials reported heavy shelling near Chernihiv well after Tuesday's announcement.",
    source: { url: SEED_ARTICLE_URL, publisher: 'The Moscow Times', publishedAt: '2022-03-30T12:00:00+03:00' },
    observedAt: '2022-03-30T08:00:00+03:00',
    reliability: 'B',
    credibility: 2,
    places: [clone(CHERNIHIV)],
    indicators: ['shelling'],
    ...clone(extra),
  };
}

export const LVIV = { name: 'Lviv', lat: 49.8397, lon: 24.0297 };

/** A report (evidence without stance), for POST /api/reports. As is, it matches the seed pledge's scope. */
export function reportBody(extra: Body = {}): Body {
  const { stance: _stance, ...rest } = evidenceBody();
  return { ...rest, ...clone(extra) };
}

/** A report that matches no seed pledge (another city, another indicator): no job will attach it. */
export function unrelatedReportBody(extra: Body = {}): Body {
  return reportBody({ summary: 'A protest was reported in Lviv.', places: [clone(LVIV)], indicators: ['protest'], ...clone(extra) });
}
