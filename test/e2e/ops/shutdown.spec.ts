import http from 'node:http';
import request from 'supertest';
import { TEST_ADMIN_KEY, bearer, crimeaClaimBody, pledgeBody, tempDbPath } from '../../support/app';
import { TEST_REDIS_URL, deleteKeysWithPrefix, uniquePrefix } from '../../support/redis';
import { bootOpsApp, freePort, parseJsonLines, requireBuild, sample, spawnNode, waitFor, type Child } from './helpers';

interface Outcome {
  i: number;
  status?: number;
  body?: string;
  error?: string;
  /** The answer (or error) arrived after SIGTERM was sent. */
  afterSigterm: boolean;
}

function get(port: number, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
  });
}

async function exitWithin(child: Child, ms: number): Promise<number | string> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      child.proc.kill('SIGKILL');
      reject(new Error(`the process did not exit within ${ms} ms after SIGTERM`));
    }, ms);
  });
  try {
    return await Promise.race([child.exited, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

describe('graceful shutdown (SIGTERM)', () => {
  beforeAll(() => requireBuild('main.js', 'worker.js'));

  it('API: stops taking requests mid-burst, finishes what it accepted, exits 0, loses nothing acknowledged', async () => {
    const temp = tempDbPath('claim-ledger-shutdown-');
    const port = await freePort();
    const child = spawnNode('main.js', {
      DATABASE_PATH: temp.dbPath,
      PORT: String(port),
      HOST: '127.0.0.1',
      ADMIN_API_KEY: TEST_ADMIN_KEY,
      LOG_LEVEL: 'info',
    });
    try {
      await waitFor(async () => (await get(port, '/health')).status === 200, 'the API to answer /health', 30_000, 100);

      const TOTAL = 400;
      const CONCURRENCY = 32;
      const SIGTERM_AFTER = 120;
      const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });
      const outcomes: Outcome[] = [];
      let sigtermSent = false;
      let next = 0;
      const send = (i: number): Promise<Outcome> =>
        new Promise((resolve) => {
          const body = JSON.stringify(i % 4 === 0 ? pledgeBody() : crimeaClaimBody({ statement: `Burst claim #${i}` }));
          const req = http.request(
            {
              host: '127.0.0.1',
              port,
              method: 'POST',
              path: '/api/claims',
              agent,
              headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), authorization: `Bearer ${TEST_ADMIN_KEY}` },
            },
            (res) => {
              let text = '';
              res.on('data', (d: Buffer) => (text += d.toString()));
              res.on('end', () => resolve({ i, status: res.statusCode, body: text, afterSigterm: sigtermSent }));
              res.on('error', (err: NodeJS.ErrnoException) => resolve({ i, error: err.code ?? err.message, afterSigterm: sigtermSent }));
            },
          );
          req.on('error', (err: NodeJS.ErrnoException) => resolve({ i, error: err.code ?? err.message, afterSigterm: sigtermSent }));
          req.end(body);
        });
      await Promise.all(
        Array.from({ length: CONCURRENCY }, async () => {
          while (next < TOTAL) {
            const outcome = await send(next++);
            outcomes.push(outcome);
            if (!sigtermSent && outcomes.length >= SIGTERM_AFTER) {
              sigtermSent = true;
              child.proc.kill('SIGTERM');
            }
          }
        }),
      );
      agent.destroy();
      const code = await exitWithin(child, 30_000);
      expect(code).toBe(0);

      const acked = outcomes.filter((o) => o.status !== undefined && o.status >= 200 && o.status < 300);
      const refused = outcomes.filter((o) => o.afterSigterm && !(o.status !== undefined && o.status < 300));
      expect(outcomes).toHaveLength(TOTAL);
      expect(acked.length).toBeGreaterThanOrEqual(SIGTERM_AFTER - CONCURRENCY);
      expect(refused.length).toBeGreaterThan(0); // it did stop taking requests
      expect(acked.filter((o) => o.afterSigterm).length).toBeGreaterThan(0); // and finished those in flight
      // Nothing failed in a way that means "accepted, then broken": refusals are 503 or a closed connection.
      for (const o of outcomes.filter((x) => x.status !== undefined && !(x.status < 300))) expect(o.status).toBe(503);

      // The log: JSON lines only, the shutdown announced and finished, and no key in it.
      const stdout = child.stdout();
      const lines = parseJsonLines(stdout);
      expect(lines.map((l) => l.msg)).toEqual(expect.arrayContaining(['shutting down: no new requests, finishing work in flight', 'shut down cleanly']));
      expect(stdout).not.toContain(TEST_ADMIN_KEY);

      // Start again on the same file: every acknowledged claim is in the ledger, where it was said to be.
      const t = await bootOpsApp({}, { dbPath: temp.dbPath });
      try {
        const positions = new Map<string, number>();
        let after = 0;
        for (;;) {
          const page = await request(t.http).get(`/api/events?after=${after}&limit=500`).set(bearer(t.adminKey));
          expect(page.status).toBe(200);
          for (const e of page.body.items as Array<{ position: number; type: string; streamId: string }>) {
            if (e.type === 'ClaimRecorded') positions.set(e.streamId.slice('claim-'.length), e.position);
          }
          if (!page.body.nextCursor) break;
          after = Number(page.body.nextCursor);
        }
        const lost = acked
          .map((o) => JSON.parse(o.body!) as { id: string; position: number })
          .filter((b) => positions.get(b.id) !== b.position);
        expect(lost).toEqual([]);
        expect(positions.size).toBeGreaterThanOrEqual(acked.length);
        const verify = await request(t.http).get('/api/ledger/verify').set(bearer(t.adminKey));
        expect(verify.body).toMatchObject({ ok: true });
      } finally {
        await t.close();
      }
      // eslint-disable-next-line no-console
      console.log(
        `shutdown burst: ${acked.length} acknowledged (${acked.filter((o) => o.afterSigterm).length} of them answered after SIGTERM), ` +
          `${refused.length} refused after SIGTERM, exit ${code}`,
      );
    } finally {
      if (child.proc.exitCode === null && child.proc.signalCode === null) child.proc.kill('SIGKILL');
      temp.cleanup();
    }
  }, 120_000);

  it('worker: serves its own /metrics (METRICS_PORT) and exits 0 on SIGTERM', async () => {
    const temp = tempDbPath('claim-ledger-worker-');
    const prefix = uniquePrefix('ops-worker');
    const port = await freePort();
    const child = spawnNode('worker.js', {
      DATABASE_PATH: temp.dbPath,
      REDIS_URL: TEST_REDIS_URL,
      QUEUE_PREFIX: prefix,
      METRICS_PORT: String(port),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'info',
    });
    try {
      const metrics = await waitFor(async () => {
        const res = await get(port, '/metrics');
        return res.status === 200 && res.body;
      }, 'the worker metrics endpoint', 30_000, 100);
      expect(sample(metrics, 'jobs_completed_total', { queue: 'evidence-attach' })).toBe(0);
      expect(metrics).toContain('# TYPE jobs_duration_seconds histogram');
      expect((await get(port, '/nope')).status).toBe(404);
      child.proc.kill('SIGTERM');
      expect(await exitWithin(child, 20_000)).toBe(0);
      expect(parseJsonLines(child.stdout()).map((l) => l.msg)).toEqual(expect.arrayContaining(['worker running', 'shut down cleanly']));
    } finally {
      if (child.proc.exitCode === null && child.proc.signalCode === null) child.proc.kill('SIGKILL');
      temp.cleanup();
      await deleteKeysWithPrefix(prefix);
    }
  }, 60_000);
});
