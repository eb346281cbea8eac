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

    it('counts BullMQ jobs by queue, and the worker logs carry the request id', async () => {
      const a = bearer(t.adminKey);
      const pledge = await request(t.http).post('/api/claims').set(a).send(pledgeBody());
      expect(pledge.status).toBe(201);
      const ev = await request(t.http).post(`/api/claims/${pledge.body.id}/evidence`).set(a).set('X-Request-Id', 'ops-bullmq-req').send(evidenceBody());
      expect(ev.status).toBe(202);
      const text = await waitFor(async () => {
        const res = await request(t.http).get('/metrics');
        return (sample(res.text, 'jobs_completed_total', { queue: 'evidence-attach' }) ?? 0) >= 1 && res.text;
      }, 'the evidence-attach job on BullMQ');
      expect(sample(text, 'jobs_duration_seconds_count', { queue: 'evidence-attach', outcome: 'completed' })).toBeGreaterThanOrEqual(1);
      expect(sample(text, 'jobs_queue_jobs', { queue: 'evidence-attach', state: 'completed' })).toBeGreaterThanOrEqual(1);
      expect(sample(text, 'jobs_queue_jobs', { queue: 'evidence-attach', state: 'failed' })).toBe(0);
      const line = t.logs.lines().find((l) => l.msg === 'job completed' && l.queue === 'evidence-attach');
      expect(line).toMatchObject({ correlationId: 'ops-bullmq-req', causationPosition: ev.body.position, evidenceId: ev.body.evidenceId });
    });
  });
});
