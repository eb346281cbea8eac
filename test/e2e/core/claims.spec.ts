import request from 'supertest';
import {
  bearer,
  bootApp,
  createRoleKeys,
  crimeaClaimBody,
  evidenceBody,
  pledgeBody,
  unrelatedReportBody,
  type CreatedKey,
  type Role,
  type TestApp,
} from '../../support/app';
import { collectPages, eventually, expectNothingWritten, expectProblem, ISO_RE, settle, UUID_RE } from '../../support/http';

let t: TestApp;
let keys: Record<Role, CreatedKey>;
let checker: { Authorization: string };
let viewer: { Authorization: string };

beforeAll(async () => {
  t = await bootApp();
  keys = await createRoleKeys(t);
  checker = bearer(keys.checker.key);
  viewer = bearer(keys.viewer.key);
});
afterAll(async () => {
  await t?.close();
});

const post = (path: string, body: unknown, auth = checker) => request(t.http).post(path).set(auth).send(body as object);
const get = (path: string, auth = viewer) => request(t.http).get(path).set(auth);

describe('POST /api/claims', () => {
  it('records the seed pledge: 201, Location, {id, kind, version, status, position}', async () => {
    const res = await post('/api/claims', pledgeBody());
    expect(res.status).toBe(201);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(Object.keys(res.body).sort()).toEqual(['id', 'kind', 'position', 'status', 'version']);
    expect(res.body).toEqual({ id: expect.stringMatching(UUID_RE), kind: 'pledge', version: 1, status: 'unverified', position: expect.any(Number) });
    expect(res.headers.location).toBe(`/api/claims/${res.body.id}`);
    // The Location answers.
    const view = await get(res.headers.location);
    expect(view.status).toBe(200);
    expect(view.body.id).toBe(res.body.id);
  });

  it('records the Crimea claim, with ids assigned by the server and positions that follow', async () => {
    const a = await post('/api/claims', crimeaClaimBody());
    const b = await post('/api/claims', crimeaClaimBody());
    expect([a.status, b.status]).toEqual([201, 201]);
    expect(a.body.kind).toBe('claim');
    expect(a.body.id).not.toBe(b.body.id);
    expect(b.body.position).toBeGreaterThan(a.body.position);
  });

  it('accepts the smallest valid claim (no topics, no scope, no optional fields)', async () => {
    const res = await post('/api/claims', {
      kind: 'claim',
      statement: 'x',
      speaker: { name: 'Dmitry Peskov' },
      madeAt: '2022-03-30T09:00:00Z',
      source: { url: 'http://example.org' },
    });
    expect(res.status).toBe(201);
    const view = await get(`/api/claims/${res.body.id}`);
    expect(view.body).toMatchObject({ topics: [], scope: null, speaker: { name: 'Dmitry Peskov' }, source: { url: 'http://example.org' } });
  });
});

describe('GET /api/claims/:id', () => {
  it('If-None-Match with the current ETag answers 304 with no body; once the claim moves on, 200 with the new ETag', async () => {
    const created = await post('/api/claims', pledgeBody());
    const path = `/api/claims/${created.body.id}`;
    for (const tag of ['"1"', 'W/"1"', '"7", "1"', '*']) {
      const res = await get(path).set('If-None-Match', tag);
      expect(res.status).toBe(304);
      expect(res.headers.etag).toBe('"1"');
      expect(res.text ?? '').toBe('');
    }
    const other = await get(path).set('If-None-Match', '"2"');
    expect(other.status).toBe(200);
    expect(other.body.id).toBe(created.body.id);
    // Evidence moves the claim to version 2 or 3 (attach, then maybe a status change).
    expect((await post(`${path}/evidence`, evidenceBody())).status).toBe(202);
    const moved = await eventually('the evidence to be attached', () => get(path), (r) => r.body.version > 1);
    const stale = await get(path).set('If-None-Match', '"1"');
    expect(stale.status).toBe(200);
    expect(stale.headers.etag).toBe(`"${moved.body.version}"`);
    expect((await get(path).set('If-None-Match', stale.headers.etag)).status).toBe(304);
    // As of a time: the tag is the version the view had then.
    const asOf = `${path}?asOf=${encodeURIComponent(created.body.recordedAt ?? moved.body.recordedAt)}`;
    const then = await get(asOf).set('If-None-Match', '"1"');
    expect(then.status).toBe(304);
    expect((await get(asOf).set('If-None-Match', stale.headers.etag)).status).toBe(200);
  });

  it('answers the claim view the contract describes, with ETag "<version>"', async () => {
    const created = await post('/api/claims', pledgeBody());
    const res = await get(`/api/claims/${created.body.id}`);
    expect(res.status).toBe(200);
    expect(res.headers.etag).toBe('"1"');
    const v = res.body;
    for (const key of ['id', 'kind', 'statement', 'speaker', 'madeAt', 'source', 'topics', 'scope', 'status', 'verdict', 'evidence', 'statusHistory', 'version', 'recordedAt', 'updatedAt']) {
      expect(v).toHaveProperty(key);
    }
    const sent = pledgeBody();
    expect(v).toMatchObject({
      id: created.body.id,
      kind: 'pledge',
      statement: sent.statement,
      speaker: sent.speaker,
      madeAt: '2022-03-29T14:00:00+03:00',
      source: sent.source,
      topics: ['Ukraine', 'peace talks'],
      scope: {
        places: [
          { name: 'Kyiv', lat: 50.4501, lon: 30.5234 },
          { name: 'Chernihiv', lat: 51.4982, lon: 31.2893 },
        ],
        indicators: ['shelling', 'airstrike'],
        from: '2022-03-29T14:00:00+03:00',
        expectation: 'absence',
      },
      status: 'unverified',
      verdict: { support: 0, contradict: 0, basis: [], rule: 'verdict-v1' },
      evidence: [],
      version: 1,
    });
    expect(v.recordedAt).toMatch(ISO_RE);
    expect(v.updatedAt).toBe(v.recordedAt);
    expect(v.statusHistory).toEqual([{ status: 'unverified', at: v.recordedAt, position: created.body.position }]);
  });

  it('gives the Crimea claim scope null', async () => {
    const created = await post('/api/claims', crimeaClaimBody());
    const res = await get(`/api/claims/${created.body.id}`);
    expect(res.body).toMatchObject({ kind: 'claim', statement: "We won't invade Crimea, it's part of Russia", scope: null, topics: ['Crimea'] });
  });

  it('finds a claim by its id in upper case too', async () => {
    const created = await post('/api/claims', crimeaClaimBody());
    const res = await get(`/api/claims/${created.body.id.toUpperCase()}`);
    expect(res.status).toBe(200);
    expect(res.body.id).toBe(created.body.id);
  });

  it('404 for an unknown id, 400 for a malformed one', async () => {
    expectProblem(await get('/api/claims/00000000-0000-4000-8000-00000000abcd'), 404);
    expectProblem(await get('/api/claims/not-a-uuid'), 400, 'id');
  });

  it('?asOf: the view as the ledger knew it then; 404 before it was recorded; 400 for a bad date', async () => {
    const created = await post('/api/claims', crimeaClaimBody());
    const now = await get(`/api/claims/${created.body.id}?asOf=${encodeURIComponent(new Date(Date.now() + 1000).toISOString())}`);
    expect(now.status).toBe(200);
    expect(now.body.version).toBe(1);
    expectProblem(await get(`/api/claims/${created.body.id}?asOf=2022-03-01T00:00:00Z`), 404);
    expectProblem(await get(`/api/claims/${created.body.id}?asOf=yesterday`), 400, 'asOf');
  });
});

describe('GET /api/claims/:id/events', () => {
  it("answers the claim's own stream, oldest first, as full envelopes", async () => {
    const created = await post('/api/claims', pledgeBody());
    const res = await get(`/api/claims/${created.body.id}/events`);
    expect(res.status).toBe(200);
    expect(res.body.items).toHaveLength(1);
    const e = res.body.items[0];
    expect(Object.keys(e).sort()).toEqual(['data', 'hash', 'metadata', 'position', 'prevHash', 'recordedAt', 'streamId', 'streamVersion', 'type']);
    const sent = pledgeBody();
    expect(e).toMatchObject({
      position: created.body.position,
      streamId: `claim-${created.body.id}`,
      streamVersion: 1,
      type: 'ClaimRecorded',
      data: { kind: 'pledge', statement: sent.statement, speaker: sent.speaker, madeAt: sent.madeAt, source: sent.source, topics: sent.topics, scope: sent.scope },
      metadata: {
        actor: { kind: 'api-key', id: keys.checker.id, name: keys.checker.name, role: 'checker' },
        correlationId: expect.any(String),
        causationId: null,
      },
    });
    expect(e.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(e.prevHash).toMatch(/^[0-9a-f]{64}$/);
    // The key itself is never in the log.
    expect(JSON.stringify(res.body)).not.toContain(keys.checker.key);
  });

  it('follows X-Request-Id into the event metadata', async () => {
    const created = await request(t.http).post('/api/claims').set(checker).set('X-Request-Id', 'req-crimea-42').send(crimeaClaimBody());
    expect(created.headers['x-request-id']).toBe('req-crimea-42');
    const res = await get(`/api/claims/${created.body.id}/events`);
    expect(res.body.items[0].metadata.correlationId).toBe('req-crimea-42');
  });

  it('404 for an unknown claim, 400 for a malformed id', async () => {
    expectProblem(await get('/api/claims/00000000-0000-4000-8000-00000000abcd/events'), 404);
    expectProblem(await get('/api/claims/nope/events'), 400, 'id');
  });
});

describe('POST /api/claims/:id/evidence', () => {
  it('202 {evidenceId, position} with Location; the evidence can be read back', async () => {
    const claim = await post('/api/claims', pledgeBody());
    const res = await post(`/api/claims/${claim.body.id}/evidence`, evidenceBody());
    expect(res.status).toBe(202);
    expect(res.body).toEqual({ evidenceId: expect.stringMatching(UUID_RE), position: expect.any(Number) });
    expect(res.body.position).toBeGreaterThan(claim.body.position);
    expect(res.headers.location).toBe(`/api/evidence/${res.body.evidenceId}`);

    const ev = await get(`/api/evidence/${res.body.evidenceId}`);
    expect(ev.status).toBe(200);
    expect(ev.body).toMatchObject({
      id: res.body.evidenceId,
      claimId: claim.body.id,
      stance: 'contradicts',
      summary: evidenceBody().summary,
      source: evidenceBody().source,
      observedAt: '2022-03-30T08:00:00+03:00',
      reliability: 'B',
      credibility: 2,
      retracted: false,
    });
    const stream = await get(`/api/events?after=${res.body.position - 1}&limit=1`);
    expect(stream.body.items[0]).toMatchObject({
      streamId: `evidence-${res.body.evidenceId}`,
      type: 'EvidenceSubmitted',
      data: { ...evidenceBody(), claimId: claim.body.id },
    });
  });

  it.each([['plain', (etag: string) => etag], ['weak', (etag: string) => `W/${etag}`]])(
    'If-Match with the current ETag (%s) is accepted',
    async (_kind, format) => {
      const claim = await post('/api/claims', pledgeBody());
      const view = await get(`/api/claims/${claim.body.id}`);
      expect(view.headers.etag).toBe('"1"');
      const res = await post(`/api/claims/${claim.body.id}/evidence`, evidenceBody()).set('If-Match', format(view.headers.etag));
      expect(res.status).toBe(202);
      expect(res.body.evidenceId).toMatch(UUID_RE);
    },
  );

  it('a stale If-Match is 412 and writes nothing', async () => {
    const claim = await post('/api/claims', pledgeBody());
    const etag = (await get(`/api/claims/${claim.body.id}`)).headers.etag;
    expect(etag).toBe('"1"');
    // Another checker's evidence moves the claim on (the job attaches it and recomputes).
    await moveClaimOn(claim.body.id);
    const now = await get(`/api/claims/${claim.body.id}`);
    expect(now.headers.etag).toBe('"3"');
    const res = await expectNothingWritten(t, keys.viewer.key, () =>
      post(`/api/claims/${claim.body.id}/evidence`, evidenceBody()).set('If-Match', etag),
    );
    expectProblem(res, 412, 'If-Match');
    // A version the claim never had is just as stale.
    expectProblem(await post(`/api/claims/${claim.body.id}/evidence`, evidenceBody()).set('If-Match', '"99"'), 412);
  });

  it.each(['1', '"one"', '*', '"1', 'W/1', '""'])('a malformed If-Match (%s) is 400 and writes nothing', async (ifMatch) => {
    const claim = await post('/api/claims', crimeaClaimBody());
    const res = await expectNothingWritten(t, keys.viewer.key, () =>
      post(`/api/claims/${claim.body.id}/evidence`, evidenceBody()).set('If-Match', ifMatch),
    );
    expectProblem(res, 400, 'If-Match');
  });

  it('404 for an unknown claim (nothing written), 400 for a malformed id', async () => {
    const res = await expectNothingWritten(t, keys.viewer.key, () => post('/api/claims/00000000-0000-4000-8000-00000000abcd/evidence', evidenceBody()));
    expectProblem(res, 404);
    expectProblem(await post('/api/claims/not-a-uuid/evidence', evidenceBody()), 400, 'id');
  });
});

describe('POST /api/reports, POST /api/evidence/:id/retract, GET /api/evidence/:id', () => {
  it('a report is accepted (202), retracted once (202), and a second retraction is 409', async () => {
    const rep = await post('/api/reports', unrelatedReportBody());
    expect(rep.status).toBe(202);
    expect(rep.body).toEqual({ evidenceId: expect.stringMatching(UUID_RE), position: expect.any(Number) });

    const view = await get(`/api/evidence/${rep.body.evidenceId}`);
    expect(view.status).toBe(200);
    expect(view.body).toMatchObject({ id: rep.body.evidenceId, claimId: null, retracted: false });
    expect(view.body.stance).toBeUndefined();

    const r1 = await post(`/api/evidence/${rep.body.evidenceId}/retract`, { reason: 'the officials withdrew the report' });
    expect(r1.status).toBe(202);
    const retracted = await get(`/api/evidence/${rep.body.evidenceId}`);
    expect(retracted.body).toMatchObject({ retracted: true, retraction: { reason: 'the officials withdrew the report' } });

    const r2 = await expectNothingWritten(t, keys.viewer.key, () => post(`/api/evidence/${rep.body.evidenceId}/retract`, { reason: 'again' }));
    expectProblem(r2, 409);
  });

  it('unknown evidence: 404 to read or retract; malformed ids: 400', async () => {
    expectProblem(await get('/api/evidence/00000000-0000-4000-8000-00000000abcd'), 404);
    expectProblem(await post('/api/evidence/00000000-0000-4000-8000-00000000abcd/retract', { reason: 'x' }), 404);
    expectProblem(await get('/api/evidence/xyz'), 400, 'id');
    expectProblem(await post('/api/evidence/xyz/retract', { reason: 'x' }), 400, 'id');
  });
});

/**
 * Moves a claim on the way a second checker would: evidence through the API, which the
 * verification job attaches (EvidenceAttached + VerificationStatusChanged: version 1 → 3).
 */
async function moveClaimOn(claimId: string): Promise<string> {
  const res = await post(`/api/claims/${claimId}/evidence`, evidenceBody());
  expect(res.status).toBe(202);
  await eventually(
    `claim ${claimId} to show evidence ${res.body.evidenceId}`,
    () => get(`/api/claims/${claimId}`),
    (r) => r.status === 200 && r.body.evidence.some((e: { evidenceId: string }) => e.evidenceId === res.body.evidenceId),
  );
  await settle(t);
  return res.body.evidenceId;
}

describe('the claim view after verification', () => {
  it('shows attached evidence, the verdict, the status history, a new ETag; asOf shows the old view', async () => {
    const claim = await post('/api/claims', pledgeBody());
    const before = await get(`/api/claims/${claim.body.id}`);
    await new Promise((r) => setTimeout(r, 5)); // a later recordedAt than the claim's
    const evidenceId = await moveClaimOn(claim.body.id);
    const submitted = await get(`/api/evidence/${evidenceId}`);
    expect(submitted.body.attachedTo).toEqual([expect.objectContaining({ claimId: claim.body.id, stance: 'contradicts', attachedBy: 'checker', attached: true })]);

    const res = await get(`/api/claims/${claim.body.id}`);
    expect(res.status).toBe(200);
    expect(res.headers.etag).toBe('"3"');
    expect(res.body).toMatchObject({
      status: 'contradicted',
      version: 3,
      verdict: { support: 0, contradict: 0.64, basis: [evidenceId], rule: 'verdict-v1' },
    });
    expect(res.body.evidence).toHaveLength(1);
    const item = res.body.evidence[0];
    for (const key of ['evidenceId', 'stance', 'attachedBy', 'summary', 'source', 'reliability', 'credibility', 'observedAt', 'retracted']) {
      expect(item).toHaveProperty(key);
    }
    expect(item).toMatchObject({
      evidenceId,
      stance: 'contradicts',
      attachedBy: 'checker',
      summary: evidenceBody().summary,
      source: evidenceBody().source,
      reliability: 'B',
      credibility: 2,
      observedAt: '2022-03-30T08:00:00+03:00',
      retracted: false,
    });
    expect(res.body.statusHistory.map((h: { status: string }) => h.status)).toEqual(['unverified', 'contradicted']);
    expect(res.body.updatedAt > res.body.recordedAt).toBe(true);

    const events = await get(`/api/claims/${claim.body.id}/events`);
    expect(events.body.items.map((e: { type: string }) => e.type)).toEqual(['ClaimRecorded', 'EvidenceAttached', 'VerificationStatusChanged']);
    expect(events.body.items.map((e: { streamVersion: number }) => e.streamVersion)).toEqual([1, 2, 3]);

    const asOf = await get(`/api/claims/${claim.body.id}?asOf=${encodeURIComponent(before.body.recordedAt)}`);
    expect(asOf.status).toBe(200);
    expect(asOf.headers.etag).toBe('"1"');
    expect(asOf.body).toMatchObject({ status: 'unverified', version: 1, evidence: [] });

    const listed = await get('/api/claims?status=contradicted&limit=500');
    expect(listed.body.items.map((c: { id: string }) => c.id)).toContain(claim.body.id);
    expect(listed.body.items.every((c: { status: string }) => c.status === 'contradicted')).toBe(true);
  });
});

describe('the claim view after a retraction', () => {
  it('keeps the piece with retracted: true and records the status moving back', async () => {
    const claim = await post('/api/claims', pledgeBody());
    const evidenceId = await moveClaimOn(claim.body.id);
    expect((await post(`/api/evidence/${evidenceId}/retract`, { reason: 'the officials withdrew the report' })).status).toBe(202);
    const view = await eventually(
      'the claim to drop the retracted evidence',
      () => get(`/api/claims/${claim.body.id}`),
      (r) => r.body.status === 'unverified' && r.body.version > 3,
    );
    expect(view.headers.etag).toBe(`"${view.body.version}"`);
    expect(view.body.statusHistory.map((h: { status: string }) => h.status)).toEqual(['unverified', 'contradicted', 'unverified']);
    expect(view.body.verdict).toEqual({ support: 0, contradict: 0, basis: [], rule: 'verdict-v1' });
    expect(view.body.evidence).toEqual([expect.objectContaining({ evidenceId, retracted: true })]);
    const events = await get(`/api/claims/${claim.body.id}/events`);
    expect(events.body.items.map((e: { type: string }) => e.type)).toEqual([
      'ClaimRecorded',
      'EvidenceAttached',
      'VerificationStatusChanged',
      'EvidenceDetached',
      'VerificationStatusChanged',
    ]);
  });
});

describe('GET /api/claims', () => {
  let fresh: TestApp;
  let key: string;
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    fresh = await bootApp();
    key = fresh.adminKey;
    const make = async (name: string, body: Record<string, unknown>) => {
      const res = await request(fresh.http).post('/api/claims').set(bearer(key)).send(body);
      expect(res.status).toBe(201);
      ids[name] = res.body.id;
    };
    await make('pledge', pledgeBody());
    await make('crimea', crimeaClaimBody());
    await make('talks', crimeaClaimBody({ statement: 'We can\'t state anything very promising or any breakthroughs.', topics: ['peace talks', 'PEACE TALKS'] }));
    await make('zelensky', {
      kind: 'claim',
      statement: "Positive signals from the talks don't drown out the explosions or Russian shells.",
      speaker: { name: 'Volodymyr Zelensky', affiliation: 'President of Ukraine' },
      madeAt: '2022-03-29T22:00:00+03:00',
      source: { url: 'https://www.themoscowtimes.com/2022/03/30/kremlin-sees-no-breakthroughs-at-ukraine-talks-a77146' },
      topics: ['Ukraine'],
    });
    await make('percent', crimeaClaimBody({ statement: 'Support fell to 40% in_Crimea', topics: [] }));
    // Filler, so pagination has pages to walk.
    for (let i = 0; i < 12; i++) await make(`filler-${i}`, crimeaClaimBody({ statement: `Filler statement ${i}`, speaker: { name: `Speaker ${i % 3}` }, topics: [`topic-${i % 4}`] }));
  });
  afterAll(async () => {
    await fresh?.close();
  });

  const list = (query: string) => request(fresh.http).get(`/api/claims${query}`).set(bearer(key));
  const idsOf = (res: request.Response) => res.body.items.map((c: { id: string }) => c.id);

  it('lists newest first, with list items shaped like the claim', async () => {
    const res = await list('');
    expect(res.status).toBe(200);
    expect(res.body.items).toHaveLength(17);
    expect(res.body.nextCursor).toBeNull();
    const positions = res.body.items.map((c: { position: number }) => c.position);
    expect(positions).toEqual([...positions].sort((a, b) => b - a));
    const pledge = res.body.items.find((c: { id: string }) => c.id === ids.pledge);
    expect(pledge).toMatchObject({ id: ids.pledge, kind: 'pledge', statement: pledgeBody().statement, speaker: pledgeBody().speaker, status: 'unverified', version: 1 });
  });

  it('filters by kind', async () => {
    expect(idsOf(await list('?kind=pledge'))).toEqual([ids.pledge]);
    const claims = await list('?kind=claim');
    expect(claims.body.items).toHaveLength(16);
    expect(claims.body.items.every((c: { kind: string }) => c.kind === 'claim')).toBe(true);
  });

  it('filters by speaker, ignoring case and surrounding spaces', async () => {
    const peskov = await list('?speaker=Dmitry%20Peskov');
    expect(idsOf(peskov).sort()).toEqual([ids.crimea, ids.talks, ids.percent].sort());
    expect(idsOf(await list('?speaker=%20dmitry%20PESKOV%20')).sort()).toEqual([ids.crimea, ids.talks, ids.percent].sort());
    expect(idsOf(await list('?speaker=Vladimir%20Medinsky'))).toEqual([ids.pledge]);
    expect(idsOf(await list('?speaker=Nobody'))).toEqual([]);
  });

  it('filters by text in the statement (q), case-insensitively; % and _ are plain characters', async () => {
    expect(idsOf(await list('?q=crimea')).sort()).toEqual([ids.crimea, ids.percent].sort());
    expect(idsOf(await list('?q=RADICALLY%20reduce'))).toEqual([ids.pledge]);
    expect(idsOf(await list('?q=%25'))).toEqual([ids.percent]);
    expect(idsOf(await list('?q=in_'))).toEqual([ids.percent]);
    expect(idsOf(await list('?q=zzzz-not-there'))).toEqual([]);
  });

  it('filters by topic, case-insensitively, listing a claim once even if it repeats a topic', async () => {
    expect(idsOf(await list('?topic=crimea'))).toEqual([ids.crimea]);
    expect(idsOf(await list('?topic=Peace%20Talks')).sort()).toEqual([ids.pledge, ids.talks].sort());
    expect(idsOf(await list('?topic=ukraine')).sort()).toEqual([ids.pledge, ids.zelensky].sort());
  });

  it('filters by status', async () => {
    expect((await list('?status=unverified')).body.items).toHaveLength(17);
    expect(idsOf(await list('?status=confirmed'))).toEqual([]);
  });

  it('combines filters', async () => {
    expect(idsOf(await list('?kind=claim&topic=peace%20talks'))).toEqual([ids.talks]);
    expect(idsOf(await list('?kind=pledge&speaker=Dmitry%20Peskov'))).toEqual([]);
    expect(idsOf(await list('?status=unverified&q=Filler&speaker=Speaker%201'))).toHaveLength(4);
  });

  it.each([1, 2, 5, 16, 17, 500])('cursor pagination with limit=%i covers every item exactly once, newest first', async (limit) => {
    const all = idsOf(await list('?limit=500'));
    const { items, pages } = await collectPages(fresh, key, '/api/claims', limit);
    const seen = items.map((c) => c.id);
    expect(seen).toEqual(all);
    expect(new Set(seen).size).toBe(17);
    expect(pages).toBe(Math.max(1, Math.ceil(17 / limit)));
  });

  it('cursor pagination works with filters too', async () => {
    const { items } = await collectPages(fresh, key, '/api/claims?q=filler', 5);
    expect(items).toHaveLength(12);
    expect(new Set(items.map((c) => c.id)).size).toBe(12);
  });

  it('a page is not shifted by claims recorded after its cursor was handed out', async () => {
    const first = await list('?limit=3');
    await request(fresh.http).post('/api/claims').set(bearer(key)).send(crimeaClaimBody({ statement: 'Recorded mid-walk', topics: [] }));
    const second = await list(`?limit=3&cursor=${encodeURIComponent(first.body.nextCursor)}`);
    const all = idsOf(await list('?limit=500'));
    expect(idsOf(second)).toEqual(all.slice(4, 7)); // the new claim is first now; the old walk goes on unchanged
  });

  it('defaults to 50 per page', async () => {
    await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        request(fresh.http).post('/api/claims').set(bearer(key)).send(crimeaClaimBody({ statement: `Bulk ${i}`, topics: [] })),
      ),
    );
    const res = await list('');
    expect(res.body.items).toHaveLength(50);
    expect(typeof res.body.nextCursor).toBe('string');
    const rest = await list(`?cursor=${encodeURIComponent(res.body.nextCursor)}`);
    expect(rest.body.items).toHaveLength(8);
    expect(rest.body.nextCursor).toBeNull();
  });
});
