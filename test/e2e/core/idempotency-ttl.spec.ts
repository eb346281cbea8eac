import request from 'supertest';
import { DataSource } from 'typeorm';
import { IdempotencyPurger } from '../../../src/ledger/http/idempotency-purger';
import { bootApp, bearer, crimeaClaimBody, type TestApp } from '../../support/app';
import { eventually, expectProblem, settle } from '../../support/http';

/**
 * Issue 16.8: Idempotency-Key records expire after IDEMPOTENCY_TTL_HOURS. The app runs on a clock
 * the test moves (AppConfig.clock): a key past its TTL counts as new, the background purge (every
 * IDEMPOTENCY_PURGE_INTERVAL_MS) deletes its record, and a purge racing retries of an expired
 * key never turns them into a second write.
 */

jest.setTimeout(60_000);

const HOUR = 3_600_000;

/** An app on a clock the test moves (`at.offsetMs`), with a 24 h TTL and the given purge interval. */
function appOnMovableClock(purgeIntervalMs: number) {
  const at = { offsetMs: 0 };
  let t: TestApp;
  const clock = () => new Date(Date.now() + at.offsetMs);
  beforeAll(async () => {
    t = await bootApp({ overrides: { clock, idempotencyTtlHours: 24, idempotencyPurgeIntervalMs: purgeIntervalMs } });
  });
  afterAll(async () => {
    await t?.close();
  });
  return {
    at,
    app: () => t,
    post: (key: string, statement: string) =>
      request(t.http).post('/api/claims').set(bearer(t.adminKey)).set('Idempotency-Key', key).send(crimeaClaimBody({ statement })),
    records: async (): Promise<Array<{ key: string; created_at: string }>> =>
      t.app.get(DataSource).query('SELECT key, created_at FROM idempotency_keys ORDER BY key'),
    claimsRecorded: async (): Promise<number> => {
      await settle(t);
      const items = (await request(t.http).get('/api/events?after=0&limit=500').set(bearer(t.adminKey))).body.items as Array<{ type: string }>;
      return items.filter((e) => e.type === 'ClaimRecorded').length;
    },
  };
}

describe('Idempotency-Key records expire on lookup (IDEMPOTENCY_TTL_HOURS; no purge timer here)', () => {
  const { at, app, post, records, claimsRecorded } = appOnMovableClock(0);

  it('replays within the TTL; past it the key counts as new (another body too), and the new record replays again', async () => {
    const first = await post('ttl-a', 'First use of the key');
    expect(first.status).toBe(201);
    expect((await post('other-body', 'One body')).status).toBe(201);

    at.offsetMs = 24 * HOUR - 60_000; // a minute short of the TTL: still the first answer
    const replay = await post('ttl-a', 'First use of the key');
    expect(replay.status).toBe(201);
    expect(replay.body.id).toBe(first.body.id);
    expectProblem(await post('other-body', 'Another body'), 409, 'Idempotency-Key');

    at.offsetMs = 24 * HOUR + 60_000; // a minute past it
    const before = await claimsRecorded();
    // The old records are still there (no purge has run): the lookup itself treats them as absent.
    expect((await records()).map((r) => r.key)).toEqual(['other-body', 'ttl-a']);
    const fresh = await post('ttl-a', 'First use of the key');
    expect(fresh.status).toBe(201);
    expect(fresh.body.id).not.toBe(first.body.id);
    const otherBody = await post('other-body', 'Another body');
    expect(otherBody.status).toBe(201);
    expect(await claimsRecorded()).toBe(before + 2);

    // The key's new record (stamped by the same clock) replays as usual.
    const again = await post('ttl-a', 'First use of the key');
    expect(again.body.id).toBe(fresh.body.id);
    expect(await claimsRecorded()).toBe(before + 2);
  });

  it('a purge deletes the expired records, oldest first, and only those', async () => {
    expect((await post('left-behind', 'Used once')).status).toBe(201);
    at.offsetMs += 25 * HOUR;
    expect((await post('recent', 'Used after the move')).status).toBe(201);
    expect(await app().app.get(IdempotencyPurger).purge()).toBe(3); // ttl-a, other-body, left-behind
    expect((await records()).map((r) => r.key)).toEqual(['recent']);
  });
});

describe('the background purge (IDEMPOTENCY_PURGE_INTERVAL_MS)', () => {
  const { at, app, post, records, claimsRecorded } = appOnMovableClock(50);

  it('the background purge deletes expired records and keeps live ones', async () => {
    // A key used now, then left: once the clock passes its TTL the purge timer removes its record.
    expect((await post('left-behind', 'Used once')).status).toBe(201);
    expect((await records()).map((r) => r.key)).toContain('left-behind');
    at.offsetMs += 25 * HOUR;
    expect((await post('recent', 'Used after the move')).status).toBe(201);
    const left = await eventually('the purge to delete expired records', records, (rows) => !rows.some((r) => r.key === 'left-behind'), 10_000);
    expect(left.map((r) => r.key)).toEqual(['recent']);
    // The purge never deleted what a lookup still treats as live.
    expect((await post('recent', 'Used after the move')).status).toBe(201);
    expect(await records()).toEqual(left);
  });

  it('retries of an expired key racing the purge write once', async () => {
    expect((await post('raced', 'Raced key')).status).toBe(201);
    at.offsetMs += 25 * HOUR;
    const before = await claimsRecorded();
    const purger = app().app.get(IdempotencyPurger);
    const [answers] = await Promise.all([
      Promise.all(Array.from({ length: 20 }, () => post('raced', 'Raced key'))),
      Promise.all(Array.from({ length: 5 }, () => purger.purge())),
    ]);
    for (const res of answers) expect(res.status).toBe(201);
    expect(new Set(answers.map((r) => r.body.id)).size).toBe(1);
    expect(await claimsRecorded()).toBe(before + 1);
    expect((await records()).map((r) => r.key)).toContain('raced');
  });
});
