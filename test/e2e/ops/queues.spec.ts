import request from 'supertest';
import { bearer, createRoleKeys, evidenceBody, pledgeBody, type CreatedKey, type Role } from '../../support/app';
import { TEST_REDIS_URL, deleteKeysWithPrefix, uniquePrefix } from '../../support/redis';
import { bootOpsApp, sample, waitFor, type OpsTestApp } from './helpers';

const basic = (key: string) => `Basic ${Buffer.from(`admin:${key}`).toString('base64')}`;

describe('queue board at /queues', () => {
  it('answers 404 problem+json without REDIS_URL (jobs run in-process)', async () => {
    const t = await bootOpsApp();
    try {
      for (const path of ['/queues', '/queues/api/queues']) {
        const res = await request(t.http).get(path).set(bearer(t.adminKey));
        expect(res.status).toBe(404);
        expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
        expect(res.body.detail).toMatch(/REDIS_URL/);
      }
    } finally {
      await t.close();
    }
  });

  describe('with REDIS_URL (BullMQ, workers in this process)', () => {
    const prefix = uniquePrefix('ops-board');
    let t: OpsTestApp;
    let keys: Record<Role, CreatedKey>;

    beforeAll(async () => {
      t = await bootOpsApp({ redisUrl: TEST_REDIS_URL, queuePrefix: prefix, runWorkers: true }, { logLevel: 'info' });
      keys = await createRoleKeys(t);
    });

    afterAll(async () => {
      await t?.close();
      await deleteKeysWithPrefix(prefix);
    });

    it('asks for a key (401, Bearer or Basic) and refuses weaker roles (403), as problem+json', async () => {
      const none = await request(t.http).get('/queues');
      expect(none.status).toBe(401);
      expect(none.headers['content-type']).toMatch(/application\/problem\+json/);
      // Two WWW-Authenticate fields, so browsers offer their Basic login prompt.
      const raw = (none as unknown as { res: { rawHeaders: string[] } }).res.rawHeaders;
      const challenges = raw.filter((_v, i, all) => i % 2 === 1 && all[i - 1].toLowerCase() === 'www-authenticate');
      expect(challenges).toEqual(['Bearer', 'Basic realm="claim-ledger queues", charset="UTF-8"']);
      const unknown = await request(t.http).get('/queues/api/queues').set(bearer('clk_not_a_real_key'));
      expect(unknown.status).toBe(401);
      for (const role of ['viewer', 'checker'] as const) {
        const res = await request(t.http).get('/queues').set(bearer(keys[role].key));
        expect(res.status).toBe(403);
        expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
        expect(res.body.detail).toMatch(/admin/);
        expect((await request(t.http).get('/queues/api/queues').set('Authorization', basic(keys[role].key))).status).toBe(403);
      }
    });

    it('serves bull-board to admin keys: the page, its assets and its API', async () => {
      for (const auth of [`Bearer ${t.adminKey}`, basic(t.adminKey), `Bearer ${keys.admin.key}`]) {
        const page = await request(t.http).get('/queues').set('Authorization', auth);
        expect(page.status).toBe(200);
        expect(page.headers['content-type']).toMatch(/text\/html/);
        expect(page.text).toContain('<base href="/queues/"');
        expect(page.text).toContain('claim-ledger queues');
        expect(page.text).not.toContain('<%');
      }
      const page = await request(t.http).get('/queues/').set(bearer(t.adminKey));
      const script = /src="(static\/js\/main\.[^"]+\.js)"/.exec(page.text)?.[1];
      expect(script).toBeDefined();
      const asset = await request(t.http).get(`/queues/${script}`).set(bearer(t.adminKey));
      expect(asset.status).toBe(200);
      expect(asset.headers['content-type']).toMatch(/javascript/);
      expect((await request(t.http).get(`/queues/${script}`)).status).toBe(401);

      const api = await request(t.http).get('/queues/api/queues').set(bearer(t.adminKey));
      expect(api.status).toBe(200);
      const names = (api.body.queues as Array<{ name: string }>).map((q) => q.name).sort();
      // Verification queues, plus the workflow's own (issue 14): window-close and webhook-deliver.
      expect(names).toEqual(expect.arrayContaining(['evidence-attach', 'evidence-detach', 'pledge-match', 'report-match', 'webhook-deliver', 'window-close']));
    });

    it('refuses cross-site changes (403): a cross-site form POST with Basic credentials adds no job', async () => {
      const queue = 'evidence-attach';
      const counts = async () => (await request(t.http).get('/queues/api/queues').set(bearer(t.adminKey))).body.queues.find((q: { name: string }) => q.name === queue).counts;
      const before = await counts();
      // What a hostile page's auto-submitted form sends: the browser adds the saved Basic credentials.
      const attempts: Array<Record<string, string>> = [
        { 'Sec-Fetch-Site': 'cross-site', Origin: 'https://evil.example' },
        { 'Sec-Fetch-Site': 'same-site', Origin: 'https://sub.example' },
        { Origin: 'https://evil.example' }, // a browser without Fetch Metadata
        { Origin: 'null' }, // a sandboxed frame or a data: page
        { 'Sec-Fetch-Site': 'cross-site', 'X-Requested-With': 'XMLHttpRequest' }, // the header alone is not enough
        {}, // same-origin as far as it says, but without the custom header
      ];
      for (const headers of attempts) {
        const res = await request(t.http)
          .post(`/queues/api/queues/${queue}/add`)
          .set('Authorization', basic(t.adminKey))
          .set(headers)
          .type('form')
          .send('name=forged&data=%7B%7D');
        expect({ headers, status: res.status }).toEqual({ headers, status: 403 });
        expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
        for (const [method, path] of [['put', 'pause'], ['put', 'clean/completed'], ['patch', 'no-such-job/update-data']] as const) {
          const other = await request(t.http)[method](`/queues/api/queues/${queue}/${path}`).set('Authorization', basic(t.adminKey)).set(headers);
          expect({ headers, path, status: other.status }).toEqual({ headers, path, status: 403 });
        }
      }
      expect(await counts()).toEqual(before);
    });

    it('lets the board page make changes: same origin and X-Requested-With (its page script adds it)', async () => {
      const queue = 'window-close';
      const page = await request(t.http).get('/queues').set('Authorization', basic(t.adminKey));
      expect(page.text).toMatch(/<script src="\/queues\/x-requested-with\.js"><\/script>/);
      const script = await request(t.http).get('/queues/x-requested-with.js').set('Authorization', basic(t.adminKey));
      expect(script.status).toBe(200);
      expect(script.text).toContain("setRequestHeader('X-Requested-With'");
      const host = 'board.example:8443'; // what the browser put in Host (and Origin) for the board's page
      for (const headers of [
        { 'Sec-Fetch-Site': 'same-origin', Origin: `https://${host}`, 'X-Requested-With': 'XMLHttpRequest' },
        { Origin: `https://${host}`, 'X-Requested-With': 'XMLHttpRequest' },
        { 'X-Requested-With': 'XMLHttpRequest' }, // a script (curl): no browser headers at all
      ]) {
        const pause = await request(t.http).put(`/queues/api/queues/${queue}/pause`).set('Host', host).set('Authorization', basic(t.adminKey)).set(headers);
        expect({ headers, status: pause.status }).toEqual({ headers, status: 200 });
        const resume = await request(t.http).put(`/queues/api/queues/${queue}/resume`).set('Host', host).set(bearer(t.adminKey)).set(headers);
        expect(resume.status).toBe(200);
      }
    });

    it('may not be framed: X-Frame-Options DENY and frame-ancestors none on the page, its assets and refusals', async () => {
      for (const res of [
        await request(t.http).get('/queues').set(bearer(t.adminKey)),
        await request(t.http).get('/queues/api/queues').set(bearer(t.adminKey)),
        await request(t.http).get('/queues'),
      ]) {
        expect(res.headers['x-frame-options']).toBe('DENY');
        expect(res.headers['content-security-policy']).toMatch(/frame-ancestors 'none'/);
      }
    });

    it('counts BullMQ jobs by queue, and the worker logs carry the request id', async () => {
      const a = bearer(t.adminKey);
      const pledge = await request(t.http).post('/api/claims').set(a).send(pledgeBody());
      expect(pledge.status).toBe(201);
      const ev = await request(t.http).post(`/api/claims/${pledge.body.id}/evidence`).set(a).set('X-Request-Id', 'ops-bullmq-req').send(evidenceBody());
      expect(ev.status).toBe(202);
      const text = await waitFor(async () => {
        const res = await request(t.http).get('/metrics');
        // BullMQ's counts are re-read at most every 5 s (src/ops/metrics.ts): wait for them too.
        return (
          (sample(res.text, 'jobs_completed_total', { queue: 'evidence-attach' }) ?? 0) >= 1 &&
          (sample(res.text, 'jobs_queue_jobs', { queue: 'evidence-attach', state: 'completed' }) ?? 0) >= 1 &&
          res.text
        );
      }, 'the evidence-attach job on BullMQ');
      expect(sample(text, 'jobs_duration_seconds_count', { queue: 'evidence-attach', outcome: 'completed' })).toBeGreaterThanOrEqual(1);
      expect(sample(text, 'jobs_queue_jobs', { queue: 'evidence-attach', state: 'completed' })).toBeGreaterThanOrEqual(1);
      expect(sample(text, 'jobs_queue_jobs', { queue: 'evidence-attach', state: 'failed' })).toBe(0);
      const line = t.logs.lines().find((l) => l.msg === 'job completed' && l.queue === 'evidence-attach');
      expect(line).toMatchObject({ correlationId: 'ops-bullmq-req', causationPosition: ev.body.position, evidenceId: ev.body.evidenceId });
    });
  });
});
