import { spawn } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { createKey } from '../../support/app';
import { PrefixLedger, ROOT, bootJobsApp, type JobsTestApp } from '../../support/jobs';

/** `npm run demo` (scripts/demo.js) against the service listening on a real port. */

const prefixes = new PrefixLedger('jobs-demo');

function runDemo(env: Record<string, string>, timeoutMs = 45_000): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(ROOT, 'scripts', 'demo.js')], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`demo did not finish within ${timeoutMs} ms; output so far:\n${stdout}\n${stderr}`));
    }, timeoutMs);
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

describe('npm run demo', () => {
  let t: JobsTestApp;
  let baseUrl: string;

  beforeAll(async () => {
    t = await bootJobsApp('bullmq', prefixes);
    await t.app.listen(0, '127.0.0.1');
    const { port } = t.app.getHttpServer().address() as AddressInfo;
    baseUrl = `http://127.0.0.1:${port}`;
  });

  afterAll(async () => {
    await t?.close();
    await prefixes.cleanup();
  });

  it('records the seed scenario with a checker key and prints the pledge reaching refuted', async () => {
    const checker = await createKey(t, 'checker', 'demo');
    const { code, stdout, stderr } = await runDemo({ BASE_URL: baseUrl, API_KEY: checker.key, DEMO_POLL_MS: '50' });
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });

    expect(stdout).toMatch(/ pledge \([^\n]*radically reduce military activity[^\n]*\): unverified → contradicted/);
    expect(stdout).toMatch(/ pledge \([^\n]*radically reduce military activity[^\n]*\): contradicted → refuted/);
    expect(stdout).toMatch(/^\s+pledge\s+refuted\s+unverified → contradicted → refuted/m);
    expect(stdout).toMatch(/^\s+crimea\s+unverified/m);
    expect(stdout).toMatch(/^\s+no breakthroughs\s+unverified/m);
    expect(stdout).toMatch(/ledger: chain verifies/);

    // What the demo printed is what the API holds.
    const pledges = await t.api.feed();
    const recorded = pledges.filter((e) => e.type === 'ClaimRecorded');
    expect(recorded.map((e) => (e.data as { statement: string }).statement)).toEqual([
      expect.stringContaining('radically reduce military activity'),
      expect.stringContaining("We won't invade Crimea"),
      expect.stringContaining('breakthroughs'),
    ]);
    const pledgeId = recorded[0].streamId.replace(/^claim-/, '');
    const pledge = await t.api.claim(pledgeId);
    expect(pledge.status).toBe('refuted');
    expect(pledge.evidence.map((e) => e.attachedBy)).toEqual(['matcher', 'matcher']);
  });

  it('works on a ledger that already holds matching reports, any number of times', async () => {
    const checker = await createKey(t, 'checker', 'demo again');
    // The README's "Try it" report of shelling in Chernihiv is in the ledger already (and so is
    // the first test's run): the new pledge takes them at once.
    await t.api.postReport({
      summary: 'Local officials report heavy shelling of Chernihiv overnight',
      source: { url: 'https://example.org/chernihiv-shelling', publisher: 'Chernihiv Regional Administration' },
      observedAt: '2022-03-30T02:00:00+03:00',
      reliability: 'A',
      credibility: 1,
      places: [{ name: 'Chernihiv' }],
      indicators: ['shelling'],
    });
    // The first run's new pledge starts contradicted or further (the first test's run may have left
    // its reports too); the second run's starts refuted (the first run's two reports). Both succeed.
    for (const starts of [/contradicted|refuted/, /refuted/]) {
      const { code, stdout, stderr } = await runDemo({ BASE_URL: baseUrl, API_KEY: checker.key, DEMO_POLL_MS: '50' });
      expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
      const found = /(\d+) reports? already in the ledger match(?:es)? the pledge's scope and (?:is|are) attached: it starts (\w+)/.exec(stdout);
      expect(found).not.toBeNull();
      expect(Number(found![1])).toBeGreaterThanOrEqual(1);
      expect(found![2]).toMatch(starts);
      expect(stdout).toMatch(/^\s+pledge\s+refuted\s+unverified → /m);
      // ... and to the earlier runs' pledges, named by id.
      expect(stdout).toMatch(/report 1 \(local officials, graded A1\) is attached to: (?:[0-9a-f-]{36}, )*pledge/);
      expect(stdout).toMatch(/report 2 \(The Moscow Times, graded B2\) is attached to: (?:[0-9a-f-]{36}, )*pledge/);
    }
  });

  it('explains itself without a key, and when the service is not there', async () => {
    const noKey = await runDemo({ BASE_URL: baseUrl });
    expect(noKey.code).toBe(2);
    expect(noKey.stderr).toMatch(/API_KEY is required/);

    const badKey = await runDemo({ BASE_URL: baseUrl, API_KEY: 'not-a-key-0123456789' });
    expect(badKey.code).toBe(1);
    expect(badKey.stderr).toMatch(/answered 401/);

    const nowhere = await runDemo({ BASE_URL: 'http://127.0.0.1:9', API_KEY: 'whatever-0123456789' });
    expect(nowhere.code).toBe(1);
    expect(nowhere.stderr).toMatch(/cannot reach http:\/\/127\.0\.0\.1:9/);
  });
});
