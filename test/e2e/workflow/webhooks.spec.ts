import request from 'supertest';
import { Webhook } from 'standardwebhooks';
import { bearer, bootApp, crimeaClaimBody, evidenceBody, type TestApp } from '../../support/app';
import { expectProblem, snapshot } from '../../support/http';
import { Api, PrefixLedger, bootJobsApp, waitFor, type RunMode } from '../../support/jobs';
import { bootOpsApp } from '../ops/helpers';
import { tempDbPath } from '../../support/temp';
import { Receiver } from './webhook-receiver';

/** Webhooks (WORKFLOW.md) end to end with real local receivers, verified with the standardwebhooks package. */

const FAST_RETRIES = [60, 60, 60];

async function createHook(t: Pick<TestApp, 'http' | 'adminKey'>, url: string, events: string[]): Promise<{ id: string; secret: string }> {
  const res = await request(t.http).post('/api/webhooks').set(bearer(t.adminKey)).send({ url, events, description: 'test receiver' });
  if (res.status !== 201) throw new Error(`POST /api/webhooks answered ${res.status}: ${res.text}`);
  return res.body;
}

function verifyAll(receiver: Receiver, secret: string): void {
  const wh = new Webhook(secret);
  for (const r of receiver.received) {
    const headers = { 'webhook-id': String(r.headers['webhook-id']), 'webhook-timestamp': String(r.headers['webhook-timestamp']), 'webhook-signature': String(r.headers['webhook-signature']) };
    expect(() => wh.verify(r.body, headers)).not.toThrow();
    expect(headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/=]+$/);
  }
}

describe.each<RunMode>(['inline', 'bullmq'])('webhooks (%s)', (mode) => {
  const prefixes = new PrefixLedger('hooks');
  const receivers: Receiver[] = [];
  let t: Awaited<ReturnType<typeof bootJobsApp>>;

  beforeAll(async () => {
    t = await bootJobsApp(mode, prefixes, { overrides: { webhookAllowPrivate: true, webhookRetryScheduleMs: FAST_RETRIES } });
  });
  afterAll(async () => {
    await t.close();
    for (const r of receivers) await r.close();
    await prefixes.cleanup();
  });
  const receiver = async () => {
    const r = await new Receiver().listen();
    receivers.push(r);
    return r;
  };

  it('delivers claim.recorded and claim.status_changed, signed (verified with standardwebhooks), naming the log event', async () => {
    const r = await receiver();
    const hook = await createHook(t, r.url, ['claim.recorded', 'claim.status_changed']);
    expect(hook.secret).toMatch(/^whsec_[A-Za-z0-9+/=]+$/);
    const claimId = await t.api.createClaim(crimeaClaimBody());
    await t.api.postEvidence(claimId, evidenceBody());
    await t.api.waitForStatus(claimId, 'contradicted');
    await waitFor('two deliveries', async () => r.received.length, (n) => n >= 2);
    verifyAll(r, hook.secret);
    const bodies = r.bodies();
    expect(bodies.map((b) => b.type).sort()).toEqual(['claim.recorded', 'claim.status_changed']);
    const changed = bodies.find((b) => b.type === 'claim.status_changed')!;
    expect(changed.data).toMatchObject({ claimId, from: 'unverified', to: 'contradicted', rule: 'verdict-v1' });
    const feed = await t.api.claimEvents(claimId);
    const logged = feed.find((e) => e.position === changed.data.position)!;
    expect(logged).toMatchObject({ type: 'VerificationStatusChanged', hash: changed.data.hash, recordedAt: changed.timestamp });

    // The receiver answers before the sender records the outcome: wait for the rows too.
    const deliveries = await waitFor(
      'both deliveries recorded as delivered',
      () => request(t.http).get(`/api/webhooks/${hook.id}/deliveries`).set(bearer(t.adminKey)),
      (res) => res.status === 200 && res.body.items.length === 2 && res.body.items.every((d: { state: string }) => d.state === 'delivered'),
    );
    for (const d of deliveries.body.items) expect(d).toMatchObject({ state: 'delivered', attempts: 1, lastStatus: 200, lastError: null, nextAttemptAt: null });
    // The secret is never shown again.
    const listed = await request(t.http).get('/api/webhooks').set(bearer(t.adminKey));
    expect(listed.text).not.toContain(hook.secret);
    expect(JSON.stringify(deliveries.body)).not.toContain(hook.secret);
    await request(t.http).delete(`/api/webhooks/${hook.id}`).set(bearer(t.adminKey)).expect(204);
  });

  it('500 twice then 200: delivered once, every attempt with the same webhook-id; redeliver sends it again', async () => {
    const r = await receiver();
    r.script = [500, 500];
    const hook = await createHook(t, r.url, ['claim.recorded']);
    await t.api.createClaim(crimeaClaimBody());
    await waitFor('three attempts', async () => r.received.length, (n) => n >= 3);
    const ids = r.received.map((x) => x.headers['webhook-id']);
    expect(new Set(ids).size).toBe(1);
    const page = await waitFor(
      'the delivery to be delivered',
      async () => (await request(t.http).get(`/api/webhooks/${hook.id}/deliveries`).set(bearer(t.adminKey))).body,
      (b) => b.items[0]?.state === 'delivered',
    );
    expect(page.items).toEqual([expect.objectContaining({ id: ids[0], attempts: 3, state: 'delivered', lastStatus: 200 })]);
    expect(r.received).toHaveLength(3);
    verifyAll(r, hook.secret);

    const again = await request(t.http).post(`/api/webhooks/${hook.id}/deliveries/${ids[0]}/redeliver`).set(bearer(t.adminKey));
    expect(again.status).toBe(202);
    await waitFor('the redelivery', async () => r.received.length, (n) => n >= 4);
    expect(r.received[3].headers['webhook-id']).toBe(ids[0]);
    await request(t.http).delete(`/api/webhooks/${hook.id}`).set(bearer(t.adminKey)).expect(204);
  });

  it('410 Gone disables the endpoint; nothing more is sent to it until it is enabled again', async () => {
    const r = await receiver();
    r.script = [410];
    const hook = await createHook(t, r.url, ['claim.recorded']);
    await t.api.createClaim(crimeaClaimBody());
    const listed = await waitFor(
      'the endpoint to be disabled',
      async () => (await request(t.http).get('/api/webhooks').set(bearer(t.adminKey))).body.items.find((w: { id: string }) => w.id === hook.id),
      (w) => w?.enabled === false,
    );
    expect(listed.disabledReason).toMatch(/410/);
    await t.api.createClaim(crimeaClaimBody());
    await t.app.get((await import('../../../src/webhooks/webhook-dispatcher')).WebhookDispatcher).drained();
    expect(r.received).toHaveLength(1);
    const patched = await request(t.http).patch(`/api/webhooks/${hook.id}`).set(bearer(t.adminKey)).send({ enabled: true });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ enabled: true, disabledReason: null });
    expect(patched.text).not.toContain(hook.secret);
    await request(t.http).delete(`/api/webhooks/${hook.id}`).set(bearer(t.adminKey)).expect(204);
  });
});

describe.each<RunMode>(['inline', 'bullmq'])('webhooks (%s): a receiver down across a restart of the service still gets everything', (mode) => {
  const prefixes = new PrefixLedger('hooks-restart');
  afterAll(() => prefixes.cleanup());

  it('delivers every event once the receiver is back, after the restart', async () => {
    const temp = tempDbPath();
    const prefix = mode === 'bullmq' ? prefixes.next() : undefined;
    const r = new Receiver();
    await r.listen();
    const port = r.port;
    await r.close(); // down
    try {
      const overrides = { webhookAllowPrivate: true, webhookRetryScheduleMs: Array.from({ length: 20 }, () => 100) };
      const boot = () => bootJobsApp(mode, prefixes, { dbPath: temp.dbPath, prefix, overrides });
      const first = await boot();
      const hook = await createHook(first, `http://127.0.0.1:${port}/hook`, ['claim.recorded']);
      const ids: string[] = [];
      for (let i = 0; i < 3; i++) ids.push(await first.api.createClaim(crimeaClaimBody()));
      await waitFor(
        'a failed attempt of each',
        async () => (await request(first.http).get(`/api/webhooks/${hook.id}/deliveries`).set(bearer(first.adminKey))).body.items,
        (items: Array<{ attempts: number }>) => items.length === 3 && items.every((d) => d.attempts >= 1),
      );
      await first.close();

      await r.listen(port); // back up while the service is down
      const second = await boot();
      try {
        await waitFor('every claim delivered', async () => new Set(r.bodies().map((b) => b.data.claimId)).size, (n) => n === 3);
        expect([...new Set(r.bodies().map((b) => b.data.claimId))].sort()).toEqual([...ids].sort());
        const items = await waitFor(
          'all delivered',
          async () => (await request(second.http).get(`/api/webhooks/${hook.id}/deliveries`).set(bearer(second.adminKey))).body.items,
          (list: Array<{ state: string }>) => list.every((d) => d.state === 'delivered'),
        );
        expect(items).toHaveLength(3);
        // Delivered means delivered once: each webhook-id reached the receiver with a 2xx exactly once.
        expect(r.received.length).toBe(3);
        verifyAll(r, hook.secret);
      } finally {
        await second.close();
      }
    } finally {
      await r.close();
      temp.cleanup();
    }
  });
});

describe('webhooks: bad input and the SSRF guard', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await bootApp();
  });
  afterAll(() => t.close());

  it('refuses loopback and private addresses unless WEBHOOK_ALLOW_PRIVATE; non-http(s) URLs; unknown event types; nothing stored', async () => {
    const post = (body: object) => request(t.http).post('/api/webhooks').set(bearer(t.adminKey)).send(body);
    const before = await snapshot(t, t.adminKey);
    expectProblem(await post({ url: 'http://127.0.0.1:9/hook', events: ['claim.recorded'] }), 400, 'url');
    expectProblem(await post({ url: 'http://localhost:9/hook', events: ['claim.recorded'] }), 400, 'url');
    expectProblem(await post({ url: 'http://[::1]:9/hook', events: ['claim.recorded'] }), 400, 'url');
    expectProblem(await post({ url: 'http://10.1.2.3/hook', events: ['claim.recorded'] }), 400, 'url');
    expectProblem(await post({ url: 'http://169.254.169.254/latest/meta-data', events: ['claim.recorded'] }), 400, 'url');
    expectProblem(await post({ url: 'ftp://example.org/hook', events: ['claim.recorded'] }), 400, 'url');
    expectProblem(await post({ url: 'not a url', events: ['claim.recorded'] }), 400, 'url');
    expectProblem(await post({ url: 'https://example.org/hook', events: ['claim.deleted'] }), 400, 'events');
    expectProblem(await post({ url: 'https://example.org/hook', events: [] }), 400, 'events');
    expectProblem(await request(t.http).post('/api/webhooks').set(bearer((await createChecker(t)).key)).send({ url: 'https://example.org/h', events: ['claim.recorded'] }), 403);
    expect((await request(t.http).get('/api/webhooks').set(bearer(t.adminKey))).body.items).toEqual([]);
    expect(await snapshot(t, t.adminKey)).toEqual(before);
    expectProblem(await request(t.http).delete('/api/webhooks/00000000-0000-4000-8000-000000000000').set(bearer(t.adminKey)), 404, 'id');
    expectProblem(await request(t.http).post('/api/webhooks/00000000-0000-4000-8000-000000000000/deliveries/nope/redeliver').set(bearer(t.adminKey)), 400, 'did');
  });
});

async function createChecker(t: TestApp) {
  const res = await request(t.http).post('/api/api-keys').set(bearer(t.adminKey)).send({ name: 'c', role: 'checker' });
  return res.body as { key: string };
}

describe('webhooks: the secret is never in a log line or a later answer; metrics count deliveries', () => {
  it('debug logs of creating, delivering, retrying, listing and patching hold no secret; webhook_deliveries_total and reviews_total count', async () => {
    const t = await bootOpsApp({ webhookAllowPrivate: true, webhookRetryScheduleMs: [50], pollIntervalMs: 50 }, { logLevel: 'debug' });
    const r = await new Receiver().listen();
    try {
      r.script = [500];
      const hook = await createHook(t, r.url, ['claim.recorded', 'review.published']);
      const api = new Api(t.http, t.adminKey);
      const claimId = await api.createClaim(crimeaClaimBody());
      await waitFor('the retried delivery', async () => r.received.length, (n) => n >= 2);
      const ed = (await request(t.http).post('/api/api-keys').set(bearer(t.adminKey)).send({ name: 'ed', role: 'editor' })).body.key as string;
      const rid = (await request(t.http).post(`/api/claims/${claimId}/reviews`).set(bearer(ed)).send({ rating: 'unverifiable', explanation: 'No sources yet.', claimVersion: 1 })).body.reviewId;
      expect((await request(t.http).post(`/api/claims/${claimId}/reviews/${rid}/approve`).set(bearer(t.adminKey)).send({})).status).toBe(200);
      await waitFor('the review.published delivery', async () => r.bodies().filter((b) => b.type === 'review.published').length, (n) => n === 1);
      const answers = [
        await request(t.http).get('/api/webhooks').set(bearer(t.adminKey)),
        await request(t.http).patch(`/api/webhooks/${hook.id}`).set(bearer(t.adminKey)).send({ events: ['claim.recorded'] }),
        await request(t.http).get(`/api/webhooks/${hook.id}/deliveries`).set(bearer(t.adminKey)),
      ];
      for (const a of answers) expect(a.text).not.toContain(hook.secret.slice('whsec_'.length));
      const logged = t.logs.text();
      expect(logged.split('\n').length).toBeGreaterThan(10); // debug: every request and job has its line
      expect(logged).toContain(hook.id);
      expect(logged).not.toContain(hook.secret.slice('whsec_'.length));

      const metrics = await waitFor(
        'the delivered count',
        async () => (await request(t.http).get('/metrics').set(bearer(t.adminKey))).text,
        (text) => /webhook_deliveries_total\{result="delivered"\} 2/.test(text),
      );
      expect(metrics).toMatch(/webhook_deliveries_total\{result="retry"\} 1/);
      expect(metrics).toMatch(/webhook_delivery_lag_seconds_count 2/);
      expect(metrics).toMatch(/reviews_total\{state="proposed"\} 1/);
      expect(metrics).toMatch(/reviews_total\{state="published"\} 1/);
    } finally {
      await r.close();
      await t.close();
    }
  });
});
