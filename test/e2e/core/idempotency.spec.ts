import request from 'supertest';
import {
  bearer,
  bootApp,
  createKey,
  crimeaClaimBody,
  evidenceBody,
  pledgeBody,
  tempDbPath,
  unrelatedReportBody,
  type CreatedKey,
  type TestApp,
} from '../../support/app';
import { eventually, expectNothingWritten, expectProblem, settle, snapshot } from '../../support/http';

let t: TestApp;
let checker: CreatedKey;

beforeAll(async () => {
  t = await bootApp();
  checker = await createKey(t, 'checker', 'idempotent checker');
});
afterAll(async () => {
  await t?.close();
});

const postWithKey = (path: string, key: string, body: unknown, auth = checker.key) =>
  request(t.http).post(path).set(bearer(auth)).set('Idempotency-Key', key).send(body as object);

describe('Idempotency-Key on POST /api/claims', () => {
  it('the same key and body answers the first response again (same id) and writes nothing new', async () => {
    const first = await postWithKey('/api/claims', 'claim-crimea-1', crimeaClaimBody());
    expect(first.status).toBe(201);

    const again = await expectNothingWritten(t, t.adminKey, () => postWithKey('/api/claims', 'claim-crimea-1', crimeaClaimBody()));
    expect(again.status).toBe(201);
    expect(again.body).toEqual(first.body);
    expect(again.headers.location).toBe(first.headers.location);
    expect(again.headers['content-type']).toMatch(/^application\/json/);

    const third = await expectNothingWritten(t, t.adminKey, () => postWithKey('/api/claims', 'claim-crimea-1', crimeaClaimBody()));
    expect(third.body).toEqual(first.body);

    const listed = await request(t.http).get('/api/claims?q=invade%20crimea&limit=500').set(bearer(t.adminKey));
    expect(listed.body.items.map((c: { id: string }) => c.id)).toEqual([first.body.id]);
  });

  it('the same key with another body is 409 naming Idempotency-Key, and writes nothing', async () => {
    const first = await postWithKey('/api/claims', 'claim-crimea-2', crimeaClaimBody());
    expect(first.status).toBe(201);
    const other = await expectNothingWritten(t, t.adminKey, () =>
      postWithKey('/api/claims', 'claim-crimea-2', crimeaClaimBody({ statement: 'We will invade Crimea' })),
    );
    expectProblem(other, 409, 'Idempotency-Key');
    // The first request can still be retried.
    const retry = await postWithKey('/api/claims', 'claim-crimea-2', crimeaClaimBody());
    expect(retry.status).toBe(201);
    expect(retry.body).toEqual(first.body);
  });

  it('the same key on another route is another request: 409', async () => {
    const first = await postWithKey('/api/claims', 'shared-key', crimeaClaimBody());
    expect(first.status).toBe(201);
    const res = await expectNothingWritten(t, t.adminKey, () => postWithKey('/api/reports', 'shared-key', unrelatedReportBody()));
    expectProblem(res, 409, 'Idempotency-Key');
  });

  it('concurrent retries with one key write once and all get the same answer', async () => {
    await settle(t);
    const before = await snapshot(t, t.adminKey);
    const answers = await Promise.all(Array.from({ length: 8 }, () => postWithKey('/api/claims', 'racing-retries', pledgeBody())));
    expect(answers.map((a) => a.status)).toEqual(Array(8).fill(201));
    const ids = new Set(answers.map((a) => a.body.id));
    expect(ids.size).toBe(1);
    await settle(t);
    const after = await snapshot(t, t.adminKey);
    expect(after.events).toBe(before.events + 1);
  });

  it('a request that was refused does not use up its key', async () => {
    const bad = await postWithKey('/api/claims', 'fix-and-retry', crimeaClaimBody({ madeAt: '2022-02-30T00:00:00Z' }));
    expectProblem(bad, 400, 'madeAt');
    const good = await postWithKey('/api/claims', 'fix-and-retry', crimeaClaimBody());
    expect(good.status).toBe(201);
  });

  it('the same JSON with its members in another order is the same body', async () => {
    const body = crimeaClaimBody();
    const reordered = Object.fromEntries(Object.entries(body).reverse());
    expect(JSON.stringify(reordered)).not.toBe(JSON.stringify(body));
    const first = await postWithKey('/api/claims', 'member-order', body);
    expect(first.status).toBe(201);
    const again = await expectNothingWritten(t, t.adminKey, () => postWithKey('/api/claims', 'member-order', reordered));
    expect({ status: again.status, body: again.body }).toEqual({ status: 201, body: first.body });
  });
});

describe('Idempotency-Key on the other POSTs', () => {
  it('POST /api/claims/:id/evidence replays 202 with the same evidenceId; the evidence is attached once', async () => {
    const claim = await request(t.http).post('/api/claims').set(bearer(checker.key)).send(pledgeBody());
    const path = `/api/claims/${claim.body.id}/evidence`;
    const first = await postWithKey(path, 'evidence-1', evidenceBody());
    expect(first.status).toBe(202);
    await eventually(
      'the evidence to be attached',
      () => request(t.http).get(`/api/claims/${claim.body.id}`).set(bearer(t.adminKey)),
      (r) => r.body.evidence?.length === 1,
    );
    const again = await expectNothingWritten(t, t.adminKey, () => postWithKey(path, 'evidence-1', evidenceBody()));
    expect(again.status).toBe(202);
    expect(again.body).toEqual(first.body);
    expect(again.headers.location).toBe(first.headers.location);
    const events = await request(t.http).get(`/api/claims/${claim.body.id}/events`).set(bearer(t.adminKey));
    expect(events.body.items.filter((e: { type: string }) => e.type === 'EvidenceAttached')).toHaveLength(1);
    expectProblem(await postWithKey(path, 'evidence-1', evidenceBody({ stance: 'supports' })), 409, 'Idempotency-Key');
  });

  it('POST /api/reports and POST /api/evidence/:id/retract replay too', async () => {
    const first = await postWithKey('/api/reports', 'report-1', unrelatedReportBody());
    expect(first.status).toBe(202);
    const again = await expectNothingWritten(t, t.adminKey, () => postWithKey('/api/reports', 'report-1', unrelatedReportBody()));
    expect({ status: again.status, body: again.body }).toEqual({ status: 202, body: first.body });

    const retractPath = `/api/evidence/${first.body.evidenceId}/retract`;
    const r1 = await postWithKey(retractPath, 'retract-1', { reason: 'duplicate report' });
    expect(r1.status).toBe(202);
    // Without the key, a second retraction is a conflict; with it, the first answer comes back.
    const r2 = await expectNothingWritten(t, t.adminKey, () => postWithKey(retractPath, 'retract-1', { reason: 'duplicate report' }));
    expect({ status: r2.status, body: r2.body }).toEqual({ status: 202, body: r1.body });
  });

  it('POST /api/api-keys replays the same id and makes no second key; the key from the first answer works', async () => {
    const before = await request(t.http).get('/api/api-keys').set(bearer(t.adminKey));
    const first = await postWithKey('/api/api-keys', 'key-1', { name: 'desk viewer', role: 'viewer' }, t.adminKey);
    expect(first.status).toBe(201);
    expect(typeof first.body.key).toBe('string');
    const again = await postWithKey('/api/api-keys', 'key-1', { name: 'desk viewer', role: 'viewer' }, t.adminKey);
    expect(again.status).toBe(201);
    expect(again.body).toMatchObject({ id: first.body.id, name: 'desk viewer', role: 'viewer' });
    expect(again.body.key === null || again.body.key === undefined || again.body.key === first.body.key).toBe(true);
    const after = await request(t.http).get('/api/api-keys').set(bearer(t.adminKey));
    expect(after.body.items).toHaveLength(before.body.items.length + 1);
    expect((await request(t.http).get('/api/claims').set(bearer(first.body.key))).status).toBe(200);
    expectProblem(await postWithKey('/api/api-keys', 'key-1', { name: 'desk viewer', role: 'admin' }, t.adminKey), 409, 'Idempotency-Key');
  });
});

describe('Idempotency-Key is scoped per API key', () => {
  it('the same Idempotency-Key from two API keys makes two events, and each key replays its own answer', async () => {
    const desk = await createKey(t, 'checker', 'second desk');
    const sameKey = 'shared-desk-key-1';
    const body = crimeaClaimBody({ statement: 'Both desks recorded this claim' });
    const mine = await postWithKey('/api/claims', sameKey, body, checker.key);
    const theirs = await postWithKey('/api/claims', sameKey, body, desk.key);
    expect([mine.status, theirs.status]).toEqual([201, 201]);
    expect(theirs.body.id).not.toBe(mine.body.id); // not a replay of the other key's answer
    expect(theirs.headers['idempotent-replayed']).toBeUndefined();

    // Two events in the log, one per key.
    const listed = await request(t.http).get('/api/claims?q=both%20desks&limit=500').set(bearer(t.adminKey));
    expect(listed.body.items.map((c: { id: string }) => c.id).sort()).toEqual([mine.body.id, theirs.body.id].sort());

    // Each key's retry replays its own first answer and writes nothing.
    const mineAgain = await expectNothingWritten(t, t.adminKey, () => postWithKey('/api/claims', sameKey, body, checker.key));
    const theirsAgain = await expectNothingWritten(t, t.adminKey, () => postWithKey('/api/claims', sameKey, body, desk.key));
    expect([mineAgain.status, mineAgain.body.id, mineAgain.headers['idempotent-replayed']]).toEqual([201, mine.body.id, 'true']);
    expect([theirsAgain.status, theirsAgain.body.id, theirsAgain.headers['idempotent-replayed']]).toEqual([201, theirs.body.id, 'true']);

    // Another body under the same Idempotency-Key is a conflict only for the key that used it.
    const other = crimeaClaimBody({ statement: 'A different claim under the shared key' });
    expectProblem(await postWithKey('/api/claims', sameKey, other, desk.key), 409, 'Idempotency-Key');
  });
});

describe('Idempotency-Key across a restart', () => {
  it('a new process on the same database file still knows the key', async () => {
    const temp = tempDbPath();
    let a: TestApp | null = null;
    let b: TestApp | null = null;
    try {
      a = await bootApp({ dbPath: temp.dbPath });
      const desk = await createKey(a, 'checker', 'restart desk');
      const first = await request(a.http).post('/api/claims').set(bearer(desk.key)).set('Idempotency-Key', 'before-restart').send(crimeaClaimBody());
      expect(first.status).toBe(201);
      await settle(a);
      const seen = await snapshot(a, a.adminKey);
      await a.close();
      a = null;

      b = await bootApp({ dbPath: temp.dbPath });
      const replay = await request(b.http).post('/api/claims').set(bearer(desk.key)).set('Idempotency-Key', 'before-restart').send(crimeaClaimBody());
      expect(replay.status).toBe(201);
      expect(replay.body).toEqual(first.body);
      expect(replay.headers.location).toBe(first.headers.location);
      const other = await request(b.http)
        .post('/api/claims')
        .set(bearer(desk.key))
        .set('Idempotency-Key', 'before-restart')
        .send(crimeaClaimBody({ statement: 'something else' }));
      expectProblem(other, 409, 'Idempotency-Key');
      await settle(b);
      expect(await snapshot(b, b.adminKey)).toEqual(seen);
      const view = await request(b.http).get(first.headers.location).set(bearer(desk.key));
      expect(view.status).toBe(200);
    } finally {
      await a?.close();
      await b?.close();
      temp.cleanup();
    }
  });
});
