import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { get as httpGet } from 'node:http';
import { join } from 'node:path';
import { ROOT, freePort, startRedisServer, startWorkerProcess, type Child } from '../../support/jobs';
import { assertFreshBuild } from '../../support/build';

/**
 * The real service as child processes: `node dist/main.js` (built by `npm run build`), on a temp
 * SQLite file, with its whole stdout/stderr captured (the auth spec scans it for keys).
 */

export const MAIN_JS = join(ROOT, 'dist', 'main.js');

export const RELIABILITY_ADMIN_KEY = 'reliability-admin-key-0123456789abcdef';

/** A temp directory for one spec's SQLite files; remove() deletes it. */
export function tempDir(label: string): { dir: string; file(name?: string): string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), `claim-ledger-rel-${label}-`));
  return { dir, file: (name = 'ledger.sqlite') => join(dir, name), remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface ServiceOptions {
  dbPath: string;
  /** null: ADMIN_API_KEY unset (the service makes and prints one). Default RELIABILITY_ADMIN_KEY. */
  adminKey?: string | null;
  redisUrl?: string;
  queuePrefix?: string;
  runWorkers?: boolean;
  logLevel?: string;
  /** Extra environment (RATE_LIMIT_PER_MINUTE, JOB_PAUSE_BEFORE_APPEND_MS, ...). */
  env?: Record<string, string>;
  /** Reuse a port (a restart on the same address); default a free one. */
  port?: number;
}

/** One `node dist/main.js` process. */
export class ServiceProcess {
  private out = '';
  private alive = true;
  private readonly waiters: Array<() => void> = [];
  readonly exited: Promise<number | string>;

  private constructor(
    readonly proc: ChildProcess,
    readonly port: number,
    readonly adminKey: string | null,
    readonly options: ServiceOptions,
  ) {
    const onData = (chunk: Buffer): void => {
      this.out += chunk.toString('utf8');
      for (const w of this.waiters.splice(0)) w();
    };
    proc.stdout?.on('data', onData);
    proc.stderr?.on('data', onData);
    this.exited = new Promise((resolve) => {
      proc.once('exit', (code, signal) => {
        this.alive = false;
        for (const w of this.waiters.splice(0)) w();
        resolve(code ?? signal ?? 'unknown');
      });
    });
  }

  static async start(o: ServiceOptions): Promise<ServiceProcess> {
    if (!existsSync(MAIN_JS)) throw new Error(`${MAIN_JS} is missing: run "npm run build" first`);
    assertFreshBuild('main.js');
    const port = o.port ?? (await freePort());
    const adminKey = o.adminKey === undefined ? RELIABILITY_ADMIN_KEY : o.adminKey;
    const env: Record<string, string> = {
      PATH: process.env.PATH ?? '',
      PORT: String(port),
      HOST: '127.0.0.1',
      DATABASE_PATH: o.dbPath,
      LOG_LEVEL: o.logLevel ?? 'warn',
      POLL_INTERVAL_MS: '50',
      QUEUE_PREFIX: o.queuePrefix ?? 'claim-ledger-reliability',
      RUN_WORKERS: o.runWorkers === false ? 'false' : 'true',
      SHUTDOWN_TIMEOUT_MS: '8000',
      SHUTDOWN_HTTP_GRACE_MS: '500',
      ...(adminKey ? { ADMIN_API_KEY: adminKey } : {}),
      ...(o.redisUrl ? { REDIS_URL: o.redisUrl } : {}),
      ...o.env,
    };
    const proc = spawn(process.execPath, [MAIN_JS], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    const service = new ServiceProcess(proc, port, adminKey, o);
    try {
      await service.waitUntilAnswering(30_000);
    } catch (err) {
      await service.kill('SIGKILL');
      throw err;
    }
    return service;
  }

  get base(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get running(): boolean {
    return this.alive;
  }

  /** Everything the process wrote to stdout and stderr so far. */
  output(): string {
    return this.out;
  }

  async waitForOutput(pattern: RegExp, timeoutMs = 15_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!pattern.test(this.out)) {
      if (!this.alive) throw new Error(`the service exited before printing ${pattern}; output:\n${this.out.slice(-4000)}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`the service did not print ${pattern} within ${timeoutMs} ms; output:\n${this.out.slice(-4000)}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(left, 250));
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Polls GET /health until the server answers at all (200 or 503): it is listening. */
  async waitUntilAnswering(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (!this.alive) throw new Error(`the service exited while starting; output:\n${this.out.slice(-4000)}`);
      const answered = await new Promise<boolean>((resolve) => {
        const req = httpGet({ host: '127.0.0.1', port: this.port, path: '/health', agent: false }, (res) => {
          res.resume();
          res.on('end', () => resolve(true));
        });
        req.setTimeout(2000, () => req.destroy());
        req.on('error', () => resolve(false));
      });
      if (answered) return;
      if (Date.now() > deadline) throw new Error(`the service did not answer within ${timeoutMs} ms; output:\n${this.out.slice(-4000)}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** Sends a signal (SIGKILL: the crash) and resolves once the process is gone. */
  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<number | string> {
    if (this.alive) this.proc.kill(signal);
    return this.exited;
  }

  /** Graceful stop (SIGTERM), SIGKILL after graceMs. */
  async stop(graceMs = 10_000): Promise<number | string> {
    if (!this.alive) return this.exited;
    this.proc.kill('SIGTERM');
    const timer = setTimeout(() => this.alive && this.proc.kill('SIGKILL'), graceMs);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }

  /** The same service again on the same file, port and settings (after a crash or a stop). */
  restart(extra: Partial<ServiceOptions> = {}): Promise<ServiceProcess> {
    return ServiceProcess.start({ ...this.options, port: this.port, adminKey: this.adminKey, ...extra });
  }
}

/** A throwaway redis-server (no persistence) on its own port; restart() brings it back EMPTY. */
export class ThrowawayRedis {
  private child: Child | null = null;

  private constructor(readonly port: number) {}

  static async start(): Promise<ThrowawayRedis> {
    const r = new ThrowawayRedis(await freePort());
    await r.up();
    return r;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  get isUp(): boolean {
    return this.child !== null;
  }

  async up(): Promise<void> {
    if (!this.child) this.child = await startRedisServer(this.port);
  }

  /** SIGKILL: it keeps nothing (--save '' --appendonly no), so up() afterwards is a wiped Redis. */
  async down(): Promise<void> {
    const c = this.child;
    this.child = null;
    await c?.kill('SIGKILL');
  }

  async stop(): Promise<void> {
    const c = this.child;
    this.child = null;
    await c?.stop();
  }
}

export { startWorkerProcess, type Child };
