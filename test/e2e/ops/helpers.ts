import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { assertFreshBuild } from '../../support/build';
import { Writable } from 'node:stream';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { Server } from 'node:http';
import { createApp } from '../../../src/app.factory';
import { loadConfig, type AppConfig } from '../../../src/config/app-config';
import { createOpsRuntime, type OpsRuntime } from '../../../src/ops/ops.module';
import { TEST_ADMIN_KEY, readyWithDocumentCheck, tempDbPath } from '../../support/app';

export const ROOT = join(__dirname, '..', '..', '..');

/** Spawned processes run the compiled build: fail early and clearly when it is missing. */
/** Fails when dist/ is missing or older than the source (see test/support/build.ts). */
export function requireBuild(...entries: string[]): void {
  assertFreshBuild(...entries);
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

/** Collects pino's JSON lines in memory (for apps booted in this process). */
export class LogCapture extends Writable {
  readonly raw: string[] = [];

  override _write(chunk: Buffer | string, _enc: BufferEncoding, done: (err?: Error) => void): void {
    this.raw.push(chunk.toString());
    done();
  }

  text(): string {
    return this.raw.join('');
  }

  lines(): Array<Record<string, unknown>> {
    return parseJsonLines(this.text());
  }
}

/**
 * The JSON log lines of a process's stdout. The one-time banners (a generated admin key, a
 * generated signing key's vkey) are plain text written outside the logger on purpose: skipped.
 */
export function parseJsonLines(text: string): Array<Record<string, unknown>> {
  return text
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

export interface OpsTestApp {
  app: NestFastifyApplication;
  http: Server;
  config: AppConfig;
  ops: OpsRuntime;
  logs: LogCapture;
  dbPath: string;
  adminKey: string;
  close(): Promise<void>;
}

/** Like test/support/app.ts's bootApp, but keeps the ops runtime (logs captured, metrics at hand). */
export async function bootOpsApp(overrides: Partial<AppConfig> = {}, options: { dbPath?: string; logLevel?: string } = {}): Promise<OpsTestApp> {
  const temp = options.dbPath ? null : tempDbPath('claim-ledger-ops-');
  const dbPath = options.dbPath ?? temp!.dbPath;
  const config = loadConfig(
    {},
    { databasePath: dbPath, adminApiKey: TEST_ADMIN_KEY, logLevel: options.logLevel ?? 'error', redisUrl: null, ...overrides },
  );
  const logs = new LogCapture();
  const ops = createOpsRuntime(config, logs);
  let app: NestFastifyApplication;
  try {
    app = await createApp(config, ops);
    await readyWithDocumentCheck(app); // every answer checked against the OpenAPI document
  } catch (err) {
    temp?.cleanup();
    throw err;
  }
  let closed = false;
  return {
    app,
    http: app.getHttpServer() as Server,
    config,
    ops,
    logs,
    dbPath,
    adminKey: config.adminApiKey ?? TEST_ADMIN_KEY,
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

export interface Child {
  proc: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves with the exit code (or the signal's name). */
  exited: Promise<number | string>;
}

export function spawnNode(entry: string, env: Record<string, string>): Child {
  const proc = spawn(process.execPath, [join(ROOT, 'dist', entry)], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | string>((resolve) => proc.on('exit', (code, signal) => resolve(code ?? signal ?? -1)));
  return { proc, stdout: () => out, stderr: () => err, exited };
}

/** Runs a compiled entry point to completion. */
export async function runNode(entry: string, env: Record<string, string>, timeoutMs = 30_000): Promise<{ code: number | string; stdout: string; stderr: string }> {
  const child = spawnNode(entry, env);
  const timer = setTimeout(() => child.proc.kill('SIGKILL'), timeoutMs);
  const code = await child.exited;
  clearTimeout(timer);
  return { code, stdout: child.stdout(), stderr: child.stderr() };
}

export async function waitFor<T>(probe: () => Promise<T | null | undefined | false>, what: string, timeoutMs = 20_000, everyMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastErr: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await probe();
      if (v) return v;
    } catch (err) {
      lastErr = err;
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
  throw new Error(`timed out waiting for ${what}${lastErr ? ` (last error: ${(lastErr as Error).message})` : ''}`);
}

/** Value of one sample in Prometheus text, e.g. sample(text, 'jobs_completed_total', {queue: 'x'}). */
export function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([^}]*)\})?\s+(\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const got: Record<string, string> = {};
    for (const part of (m[3] ?? '').match(/[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\]|\\.)*"/g) ?? []) {
      const eq = part.indexOf('=');
      got[part.slice(0, eq)] = part.slice(eq + 2, -1);
    }
    if (Object.entries(labels).every(([k, v]) => got[k] === v)) return Number(m[4]);
  }
  return undefined;
}
