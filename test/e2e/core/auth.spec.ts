import request from 'supertest';
import { DataSource } from 'typeorm';
import { bearer, bootApp, createKey, createRoleKeys, crimeaClaimBody, evidenceBody, pledgeBody, unrelatedReportBody, type CreatedKey, type Role, type TestApp } from '../../support/app';
import { expectNothingWritten, expectProblem, UUID_RE } from '../../support/http';

/** Reads the database the app writes (the SQLite file, or PostgreSQL under `npm run test:pg`). */
function queryDatabase<T>(t: TestApp, sql: string): Promise<T[]> {
  return t.app.get(DataSource).query(sql);
}

describe('API keys and roles', () => {
  let t: TestApp;
  let keys: Record<Role, CreatedKey>;
  let claimId: string;
  let evidenceId: string;

  beforeAll(async () => {
    // Hundreds of bad keys from one address, each checked for its 401: the per-address limit on
    // failed authentications (429 past it) is off here; test/e2e/core/proxy-and-guessing.spec.ts tests it.
    t = await bootApp({ overrides: { authFailuresPerMinute: 0 } });
    keys = await createRoleKeys(t);
    claimId = (await request(t.http).post('/api/claims').set(bearer(t.adminKey)).send(pledgeBody())).body.id;
    evidenceId = (await request(t.http).post('/api/reports').set(bearer(t.adminKey)).send(unrelatedReportBody())).body.evidenceId;
  });
  afterAll(async () => {
    await t?.close();
  });

  describe('POST /api/api-keys', () => {
    it.each<Role>(['admin', 'checker', 'viewer'])('creates a %s key: 201 {id, name, role, key}, the key shown once', async (role) => {
      const res = await request(t.http).post('/api/api-keys').set(bearer(t.adminKey)).send({ name: `fact desk ${role}`, role });
      expect(res.status).toBe(201);
      expect(res.body).toMatchObject({ id: expect.stringMatching(UUID_RE), name: `fact desk ${role}`, role, key: expect.any(String) });
      expect(res.body.key.length).toBeGreaterThanOrEqual(32);

      // Never shown again: the listing carries no key.
      const listed = await request(t.http).get('/api/api-keys').set(bearer(t.adminKey));
      expect(listed.status).toBe(200);
      const entry = listed.body.items.find((k: { id: string }) => k.id === res.body.id);
      expect(entry).toMatchObject({ id: res.body.id, name: `fact desk ${role}`, role, revokedAt: null });
      expect(entry.key).toBeUndefined();
      expect(listed.text).not.toContain(res.body.key);
    });

    it('stores keys hashed, never in plain', async () => {
      const created = await createKey(t, 'checker', 'hash check');
      const rows = await queryDatabase<Record<string, unknown>>(t, 'SELECT * FROM api_keys');
      expect(rows.length).toBeGreaterThan(0);
      expect(JSON.stringify(rows)).not.toContain(created.key);
      expect(JSON.stringify(rows)).not.toContain(t.adminKey);
    });

    it('the new key works at once, with its role', async () => {
      const checker = await createKey(t, 'checker', 'new checker');
      const viewer = await createKey(t, 'viewer', 'new viewer');
      const created = await request(t.http).post('/api/claims').set(bearer(checker.key)).send(crimeaClaimBody());
      expect(created.status).toBe(201);
      const read = await request(t.http).get(`/api/claims/${created.body.id}`).set(bearer(viewer.key));
      expect(read.status).toBe(200);
      // The event names the actor by key id and name, never by the key.
      const events = await request(t.http).get(`/api/claims/${created.body.id}/events`).set(bearer(viewer.key));
      expect(events.body.items[0].metadata.actor).toEqual({ kind: 'api-key', id: checker.id, name: 'new checker', role: 'checker' });
      expect(events.text).not.toContain(checker.key);
    });

    it.each([
      [{ name: 'x', role: 'root' }, 'role'],
      [{ name: 'x' }, 'role'],
      [{ role: 'viewer' }, 'name'],
      [{ name: '', role: 'viewer' }, 'name'],
      [{ name: 'x', role: 'viewer', key: 'chosen-by-me' }, 'key'],
      [{ name: 42, role: 'viewer' }, 'name'],
    ])('refuses %j with 400 naming %s', async (body, field) => {
      const before = await request(t.http).get('/api/api-keys').set(bearer(t.adminKey));
      expectProblem(await request(t.http).post('/api/api-keys').set(bearer(t.adminKey)).send(body), 400, field);
      const after = await request(t.http).get('/api/api-keys').set(bearer(t.adminKey));
      expect(after.body.items).toHaveLength(before.body.items.length);
    });
  });

  describe('DELETE /api/api-keys/:id', () => {
    it('204, and the revoked key gets 401 at once, for reads and writes', async () => {
      const victim = await createKey(t, 'checker', 'to revoke');
      expect((await request(t.http).get('/api/claims').set(bearer(victim.key))).status).toBe(200);

      const res = await request(t.http).delete(`/api/api-keys/${victim.id}`).set(bearer(t.adminKey));
      expect(res.status).toBe(204);
      expect(res.text).toBe('');

      expectProblem(await request(t.http).get('/api/claims').set(bearer(victim.key)), 401);
      expectProblem(await request(t.http).post('/api/claims').set(bearer(victim.key)).send(crimeaClaimBody()), 401);
      const listed = await request(t.http).get('/api/api-keys').set(bearer(t.adminKey));
      expect(listed.body.items.find((k: { id: string }) => k.id === victim.id).revokedAt).toEqual(expect.any(String));
    });

    it('a revoked admin key can no longer manage keys', async () => {
      const admin = await createKey(t, 'admin', 'temp admin');
      expect((await request(t.http).delete(`/api/api-keys/${admin.id}`).set(bearer(admin.key))).status).toBe(204);
      expectProblem(await request(t.http).post('/api/api-keys').set(bearer(admin.key)).send({ name: 'x', role: 'viewer' }), 401);
    });

    it('404 for an unknown key, 400 for a malformed id', async () => {
      expectProblem(await request(t.http).delete('/api/api-keys/00000000-0000-4000-8000-00000000abcd').set(bearer(t.adminKey)), 404);
      expectProblem(await request(t.http).delete('/api/api-keys/not-a-uuid').set(bearer(t.adminKey)), 400, 'id');
    });
  });

  describe('401: no key or unknown key', () => {
    const reads = () => ['/api/claims', `/api/claims/${claimId}`, `/api/claims/${claimId}/events`, `/api/evidence/${evidenceId}`, '/api/events', '/api/ledger/verify', '/api/api-keys'];

    it('every read answers 401 problem+json without a key, with WWW-Authenticate: Bearer', async () => {
      for (const path of reads()) {
        const res = await request(t.http).get(path);
        expectProblem(res, 401);
        expect(res.headers['www-authenticate']).toMatch(/^Bearer/);
      }
    });

    it.each([
      ['an unknown key of the right shape', `Bearer clk_${'0'.repeat(32)}_${'A'.repeat(43)}`],
      ['a made-up key', 'Bearer not-a-real-key'],
      ['a tampered real key', 'TAMPER'],
      ['another scheme', 'Basic dXNlcjpwYXNz'],
      ['an empty bearer', 'Bearer '],
    ])('every route answers 401 for %s', async (_label, header) => {
      const auth = header === 'TAMPER' ? `Bearer ${keys.admin.key.slice(0, -1)}${keys.admin.key.endsWith('A') ? 'B' : 'A'}` : header;
      for (const path of reads()) expectProblem(await request(t.http).get(path).set('Authorization', auth), 401);
      const write = await expectNothingWritten(t, t.adminKey, () => request(t.http).post('/api/claims').set('Authorization', auth).send(crimeaClaimBody()));
      expectProblem(write, 401);
      expectProblem(await request(t.http).post('/api/api-keys').set('Authorization', auth).send({ name: 'x', role: 'admin' }), 401);
    });

    it.each([
      ['the key alone, without "Bearer "', 'KEY', 'the Authorization header must be "Bearer <key>": put "Bearer " before the key'],
      ['another scheme', 'Basic dXNlcjpwYXNz', 'the Authorization header must be "Bearer <key>": put "Bearer " before the key'],
      ['a revoked or unknown key', 'Bearer not-a-real-key', 'the API key is unknown or revoked'],
    ])('401 for %s says what to do', async (_label, header, detail) => {
      const res = await request(t.http).get('/api/claims').set('Authorization', header === 'KEY' ? keys.admin.key : header);
      expectProblem(res, 401);
      expect(res.body.detail).toBe(detail);
    });

    it('every write answers 401 without a key and writes nothing', async () => {
      const writes: Array<[string, unknown]> = [
        ['/api/claims', crimeaClaimBody()],
        [`/api/claims/${claimId}/evidence`, evidenceBody()],
        ['/api/reports', unrelatedReportBody()],
        [`/api/evidence/${evidenceId}/retract`, { reason: 'x' }],
        ['/api/api-keys', { name: 'x', role: 'admin' }],
      ];
      for (const [path, body] of writes) {
        const res = await expectNothingWritten(t, t.adminKey, () => request(t.http).post(path).send(body as object));
        expectProblem(res, 401);
      }
      expectProblem(await request(t.http).delete(`/api/api-keys/${keys.viewer.id}`), 401);
    });
  });

  describe('403: a known key with too weak a role', () => {
    it('a viewer can read but not write', async () => {
      const v = bearer(keys.viewer.key);
      expect((await request(t.http).get('/api/claims').set(v)).status).toBe(200);
      expect((await request(t.http).get(`/api/claims/${claimId}`).set(v)).status).toBe(200);
      expect((await request(t.http).get('/api/events').set(v)).status).toBe(200);
      expect((await request(t.http).get('/api/ledger/verify').set(v)).status).toBe(200);
      const writes: Array<[string, unknown]> = [
        ['/api/claims', crimeaClaimBody()],
        [`/api/claims/${claimId}/evidence`, evidenceBody()],
        ['/api/reports', unrelatedReportBody()],
        [`/api/evidence/${evidenceId}/retract`, { reason: 'x' }],
      ];
      for (const [path, body] of writes) {
        const res = await expectNothingWritten(t, t.adminKey, () => request(t.http).post(path).set(v).send(body as object));
        expectProblem(res, 403);
      }
    });

    it.each<Role>(['checker', 'viewer'])('a %s cannot manage keys', async (role) => {
      const auth = bearer(keys[role].key);
      expectProblem(await request(t.http).post('/api/api-keys').set(auth).send({ name: 'escalate', role: 'admin' }), 403);
      expectProblem(await request(t.http).get('/api/api-keys').set(auth), 403);
      expectProblem(await request(t.http).delete(`/api/api-keys/${keys.admin.id}`).set(auth), 403);
      // And the admin key was not revoked by the attempt.
      expect((await request(t.http).get('/api/api-keys').set(bearer(keys.admin.key))).status).toBe(200);
    });

    it('admin ⊃ checker ⊃ viewer: a checker writes and reads, an admin does everything', async () => {
      for (const role of ['checker', 'admin'] as const) {
        const auth = bearer(keys[role].key);
        expect((await request(t.http).post('/api/claims').set(auth).send(crimeaClaimBody())).status).toBe(201);
        expect((await request(t.http).get('/api/claims').set(auth)).status).toBe(200);
      }
      expect((await request(t.http).post('/api/api-keys').set(bearer(keys.admin.key)).send({ name: 'by admin', role: 'viewer' })).status).toBe(201);
    });

    it('a 401 or 403 is problem+json and no key is echoed', async () => {
      const res = await request(t.http).post('/api/claims').set(bearer(keys.viewer.key)).send(crimeaClaimBody());
      expectProblem(res, 403);
      expect(res.text).not.toContain(keys.viewer.key);
    });
  });
});

describe('PUBLIC_READ=true', () => {
  let t: TestApp;
  let viewer: CreatedKey;
  let claimId: string;

  beforeAll(async () => {
    t = await bootApp({ overrides: { publicRead: true } });
    viewer = await createKey(t, 'viewer');
    claimId = (await request(t.http).post('/api/claims').set(bearer(t.adminKey)).send(crimeaClaimBody())).body.id;
  });
  afterAll(async () => {
    await t?.close();
  });

  it('reads need no key', async () => {
    for (const path of ['/api/claims', `/api/claims/${claimId}`, `/api/claims/${claimId}/events`, '/api/events', '/api/ledger/verify']) {
      const res = await request(t.http).get(path);
      expect({ path, status: res.status }).toEqual({ path, status: 200 });
    }
    const view = await request(t.http).get(`/api/claims/${claimId}`);
    expect(view.body.statement).toBe("We won't invade Crimea, it's part of Russia");
  });

  it('writes still need a key (401) and the right role (403); key management stays admin-only', async () => {
    const res = await expectNothingWritten(t, t.adminKey, () => request(t.http).post('/api/claims').send(crimeaClaimBody()));
    expectProblem(res, 401);
    expectProblem(await request(t.http).post('/api/claims').set(bearer(viewer.key)).send(crimeaClaimBody()), 403);
    expectProblem(await request(t.http).post('/api/api-keys').send({ name: 'x', role: 'admin' }), 401);
    expectProblem(await request(t.http).get('/api/api-keys'), 401);
    expectProblem(await request(t.http).get('/api/api-keys').set(bearer(viewer.key)), 403);
  });
});
