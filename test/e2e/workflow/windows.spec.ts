import request from 'supertest';
import { TEST_ADMIN_KEY, bearer, bootApp, pledgeBody, type TestApp } from '../../support/app';
import { freePort, requireBuild, spawnNode, type Child } from '../ops/helpers';
import { Api, PrefixLedger, bootJobsApp, waitFor } from '../../support/jobs';
import { TEST_PG_URL, dropSchema, uniqueSchema } from '../../support/postgres';
import { tempDbPath } from '../../support/temp';
import { WindowScheduler } from '../../../src/jobs/window-scheduler';
import type { StoredEvent } from '../../../src/domain/events';

/** verdict-v2: a pledge's window closes exactly once, while running, after downtime, across two instances. */

/** A clock the test moves instead of sleeping. */
function movableClock(start: string) {
  let now = Date.parse(start);
  return { now: () => new Date(now), set: (iso: string) => void (now = Date.parse(iso)) };
}

const UNTIL = '2022-04-30T00:00:00Z';
const windowPledge = (expectation: 'absence' | 'presence' = 'absence') =>
  pledgeBody({ scope: { ...(pledgeBody().scope as object), until: UNTIL, expectation } });
const closures = (events: StoredEvent[]) => events.filter((e) => e.type === 'ScopeWindowClosed');

describe('windows that close (verdict-v2)', () => {
  const apps: TestApp[] = [];
  afterAll(async () => {
    for (const a of apps) await a.close();
  });

  it('a window that closes while the service runs: ScopeWindowClosed once, status by verdict-v2 with its reason', async () => {
    const clock = movableClock('2022-04-01T00:00:00Z');
    const t = await bootApp({ overrides: { clock: clock.now, pollIntervalMs: 50 } });
    apps.push(t);
    const api = new Api(t.http, t.adminKey);
    const absence = await api.createClaim(windowPledge('absence'));
    const presence = await api.createClaim(windowPledge('presence'));
    const scheduler = t.app.get(WindowScheduler);
    scheduler.wake();
    await scheduler.settled();
    expect(closures(await api.claimEvents(absence))).toHaveLength(0);
    expect((await api.claim(absence)).windowClosedAt).toBeNull();

    clock.set('2022-04-30T00:00:01Z');
    const closed = await api.waitForStatus(absence, 'supported');
    expect(closed.windowClosedAt).toEqual(expect.any(String));
    expect(closed.verdict).toMatchObject({ rule: 'verdict-v2', reason: 'window-closed-without-contrary-reports' });
    const presenceView = await api.waitForStatus(presence, 'contradicted');
    expect(presenceView.verdict).toMatchObject({ rule: 'verdict-v2', reason: 'window-closed-without-reports' });

    const events = await api.claimEvents(absence);
    expect(closures(events).map((e) => e.data)).toEqual([{ at: '2022-04-30T00:00:00.000Z', support: 0, contradict: 0 }]);
    expect(events.at(-1)).toMatchObject({
      type: 'VerificationStatusChanged',
      data: { from: 'unverified', to: 'supported', rule: 'verdict-v2', reason: 'window-closed-without-contrary-reports' },
    });
    // Later wake-ups and polls append nothing more.
    clock.set('2022-06-01T00:00:00Z');
    scheduler.wake();
    await scheduler.settled();
    expect(await api.claimEvents(absence)).toHaveLength(events.length);
  });

  it('a window that closed while the service was stopped is closed once on start', async () => {
    const temp = tempDbPath();
    try {
      const clock = movableClock('2022-04-01T00:00:00Z');
      const first = await bootApp({ dbPath: temp.dbPath, overrides: { clock: clock.now } });
      const id = await new Api(first.http, first.adminKey).createClaim(windowPledge());
      await first.close();

      clock.set('2022-05-02T00:00:00Z');
      const second = await bootApp({ dbPath: temp.dbPath, overrides: { clock: clock.now } });
      const api = new Api(second.http, second.adminKey);
      // The catch-up sweep runs during start: closed before the first request.
      expect(closures(await api.claimEvents(id))).toHaveLength(1);
      expect((await api.claim(id)).status).toBe('supported');
      await second.close();
      const third = await bootApp({ dbPath: temp.dbPath, overrides: { clock: clock.now } });
      expect(closures(await new Api(third.http, third.adminKey).claimEvents(id))).toHaveLength(1);
      await third.close();
    } finally {
      temp.cleanup();
    }
  });

  it('two API processes on one PostgreSQL start after the windows closed: each ScopeWindowClosed appended exactly once', async () => {
    requireBuild('main.js');
    const schema = uniqueSchema('win');
    const clock = movableClock('2022-04-01T00:00:00Z');
    const pg = { databaseUrl: TEST_PG_URL, databaseSchema: schema };
    const children: Child[] = [];
    try {
      // Recorded while the windows are open (a clock in April 2022), then the service stops.
      const setup = await bootApp({ overrides: { ...pg, clock: clock.now } });
      const ids: string[] = [];
      const api0 = new Api(setup.http, setup.adminKey);
      for (let i = 0; i < 5; i++) ids.push(await api0.createClaim(windowPledge(i % 2 ? 'presence' : 'absence')));
      await setup.close();

      // Two real API processes (the real clock: long past until) start at once on the same schema.
      const ports = [await freePort(), await freePort()];
      const env = (port: number) => ({ PORT: String(port), HOST: '127.0.0.1', DATABASE_URL: TEST_PG_URL, DATABASE_SCHEMA: schema, ADMIN_API_KEY: TEST_ADMIN_KEY, LOG_LEVEL: 'warn', POLL_INTERVAL_MS: '50' });
      for (const port of ports) children.push(spawnNode('main.js', env(port)));
      const get = async (port: number, path: string) => {
        const res = await fetch(`http://127.0.0.1:${port}${path}`, { headers: { authorization: `Bearer ${TEST_ADMIN_KEY}` } });
        return res.ok ? res.json() : null;
      };
      for (const port of ports) await waitFor(`the API on ${port}`, () => get(port, '/api/events?limit=1').catch(() => null), (v) => v !== null, { timeoutMs: 30_000, intervalMs: 100 });
      for (const id of ids) {
        const events: StoredEvent[] = await waitFor(
          `pledge ${id} closed`,
          async () => ((await get(ports[1], `/api/claims/${id}/events`)) as { items: StoredEvent[] }).items,
          (items) => closures(items).length > 0,
        );
        expect(closures(events)).toHaveLength(1);
        expect(events.filter((e) => e.type === 'VerificationStatusChanged')).toHaveLength(1);
      }
      // Both have swept by now (each answered only after its start-up sweep): still once each.
      const feed = ((await get(ports[0], '/api/events?limit=500')) as { items: StoredEvent[] }).items;
      expect(closures(feed)).toHaveLength(ids.length);
      expect(((await get(ports[0], '/api/ledger/verify')) as { ok: boolean }).ok).toBe(true);
    } finally {
      for (const c of children) c.proc.kill('SIGTERM');
      await Promise.all(children.map((c) => c.exited));
      await dropSchema(schema);
    }
  });

  it('with Redis: a delayed BullMQ job (deterministic id) closes the window at until', async () => {
    const prefixes = new PrefixLedger('win');
    const t = await bootJobsApp('bullmq', prefixes);
    try {
      const until = new Date(Date.now() + 600).toISOString();
      const id = await t.api.createClaim(pledgeBody({ scope: { ...(pledgeBody().scope as object), from: new Date(Date.now() - 3_600_000).toISOString(), until } }));
      const scheduler = t.app.get(WindowScheduler);
      const job = await waitFor('the delayed window job', async () => scheduler.queue!.getJob(`window-close_${id}`), (j) => Boolean(j));
      expect(job!.opts.delay).toBeGreaterThan(0);
      const view = await t.api.waitForStatus(id, 'supported', { timeoutMs: 10_000 });
      expect(view.verdict.rule).toBe('verdict-v2');
      expect(closures(await t.api.claimEvents(id))).toHaveLength(1);
      const res = await request(t.http).get(`/api/claims/${id}/events`).set(bearer(t.adminKey));
      expect(res.body.items.filter((e: StoredEvent) => e.type === 'ScopeWindowClosed')).toHaveLength(1);
    } finally {
      await t.close();
      await prefixes.cleanup();
    }
  });
});
