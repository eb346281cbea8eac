import request from 'supertest';
import * as sqlite3 from 'sqlite3';
import { DataSource } from 'typeorm';
import { bootApp, bearer, createKey, crimeaClaimBody, pledgeBody, type TestApp } from '../../support/app';
import { TEST_REDIS_URL, deleteKeysWithPrefix, uniquePrefix } from '../../support/redis';
import { bootOpsApp } from './helpers';

function exec(path: string, sql: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const db = new sqlite3.Database(path, (err) => {
      if (err) return reject(err);
      db.exec(sql, (e) => db.close(() => (e ? reject(e) : resolve())));
    });
  });
}

describe('GET /health', () => {
  describe('without Redis', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await bootApp();
    });
    afterAll(async () => {
      await t?.close();
    });

    it('is public, and says little without a key: the status and each check\'s name with up/down only', async () => {
      for (const headers of [{}, bearer('not-a-key-of-this-service-0000')]) {
        const res = await request(t.http).get('/health').set(headers);
        expect(res.status).toBe(200);
        expect(res.body.status).toBe('ok');
        expect(Object.keys(res.body.details).sort()).toEqual(['chain', 'database', 'deadLetters', 'dispatcher']);
        for (const part of ['info', 'details']) {
          for (const check of Object.values(res.body[part])) expect(check).toEqual({ status: 'up' });
        }
        expect(res.body.error).toEqual({});
      }
    });

    it('with a valid key (any role) reports database, dispatcher and chain in full (no redis check without REDIS_URL)', async () => {
      const viewer = await createKey(t, 'viewer');
      const res = await request(t.http).get('/health').set(bearer(viewer.key));
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toMatch(/application\/json/);
      expect(res.body.status).toBe('ok');
      expect(Object.keys(res.body.details).sort()).toEqual(['chain', 'database', 'deadLetters', 'dispatcher']);
      expect(res.body.details.database.status).toBe('up');
      expect(res.body.details.dispatcher).toMatchObject({ status: 'up', mode: 'inline', lag: expect.any(Number) });
      expect(res.body.details.chain).toMatchObject({ status: 'up', scope: 'tail', checked: 0 });
    });

    it('re-hashes the newest events and reports the lag behind the head', async () => {
      const a = bearer(t.adminKey);
      for (let i = 0; i < 3; i++) expect((await request(t.http).post('/api/claims').set(a).send(crimeaClaimBody())).status).toBe(201);
      expect((await request(t.http).post('/api/claims').set(a).send(pledgeBody())).status).toBe(201);
      const res = await request(t.http).get('/health').set(a);
      expect(res.status).toBe(200);
      expect(res.body.details.chain).toMatchObject({ status: 'up', checked: 4, fromPosition: 1, head: { position: 4 } });
      expect(res.body.details.dispatcher.head).toBe(4);
      expect(res.body.details.dispatcher.lag).toBeGreaterThanOrEqual(0);
      expect(res.body.details.dispatcher.checkpoint + res.body.details.dispatcher.lag).toBe(4);
    });
  });

  // These two damage the SQLite file itself, so they always run on SQLite (bootOpsApp).
  it('answers 503 problem+json naming the chain when a stored event was altered', async () => {
    const t = await bootOpsApp();
    try {
      const a = bearer(t.adminKey);
      expect((await request(t.http).post('/api/claims').set(a).send(crimeaClaimBody())).status).toBe(201);
      expect((await request(t.http).post('/api/claims').set(a).send(crimeaClaimBody())).status).toBe(201);
      // Tampering needs the append-only trigger out of the way first, as an attacker with the file would.
      await exec(
        t.dbPath,
        `DROP TRIGGER events_refuse_update; UPDATE events SET data = replace(data, 'Crimea', 'Kuban') WHERE position = 2;`,
      );
      const res = await request(t.http).get('/health').set(a);
      expect(res.status).toBe(503);
      expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
      expect(res.body).toMatchObject({ status: 503, title: 'Service Unavailable' });
      expect(res.body.detail).toMatch(/chain/);
      expect(res.body.error.chain).toMatchObject({ status: 'down', firstBadPosition: 2, problem: expect.stringMatching(/hash/) });
      expect(res.body.info.database.status).toBe('up');
      // Without a key: which check is down, not what it found.
      const anonymous = await request(t.http).get('/health');
      expect(anonymous.status).toBe(503);
      expect(anonymous.headers['content-type']).toMatch(/application\/problem\+json/);
      expect(anonymous.body.detail).toMatch(/chain/);
      expect(anonymous.body.error).toEqual({ chain: { status: 'down' } });
      expect(anonymous.body.info.database).toEqual({ status: 'up' });
    } finally {
      await t.close();
    }
  });

  it('answers 503 naming the database when it does not answer', async () => {
    const t = await bootOpsApp();
    try {
      await t.app.get(DataSource).destroy();
      // ADMIN_API_KEY is checked without the database.
      const res = await request(t.http).get('/health').set(bearer(t.adminKey));
      expect(res.status).toBe(503);
      expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
      expect(res.body.error.database).toMatchObject({ status: 'down', message: expect.any(String) });
      expect(res.body.detail).toMatch(/database/);
      const anonymous = await request(t.http).get('/health');
      expect(anonymous.status).toBe(503);
      expect(anonymous.body.error.database).toEqual({ status: 'down' });
      expect(anonymous.body.detail).toMatch(/database/);
    } finally {
      await t.close();
    }
  });

  describe('with REDIS_URL', () => {
    const prefix = uniquePrefix('ops-health');
    afterAll(async () => {
      await deleteKeysWithPrefix(prefix);
    });

    it('checks Redis with PING', async () => {
      const t = await bootApp({ overrides: { redisUrl: TEST_REDIS_URL, queuePrefix: prefix, runWorkers: false } });
      try {
        const res = await request(t.http).get('/health').set(bearer(t.adminKey));
        expect(res.status).toBe(200);
        expect(res.body.details.redis).toMatchObject({ status: 'up', responseTimeMs: expect.any(Number) });
        expect(res.body.details.dispatcher.mode).toBe('bullmq');
      } finally {
        await t.close();
      }
    });

    it('tells the truth about workers: 503 when jobs wait past WORKER_STALE_MS with none, 200 once a worker takes them', async () => {
      const queues = uniquePrefix('ops-health-workers');
      const api = await bootApp({ overrides: { redisUrl: TEST_REDIS_URL, queuePrefix: queues, runWorkers: false, workerStaleMs: 300 } });
      let worker: TestApp | null = null;
      try {
        const fresh = await request(api.http).get('/health').set(bearer(api.adminKey));
        expect(fresh.status).toBe(200);
        expect(fresh.body.details.workers.status).toBe('up');
        // A pledge makes a pledge-match job; with no worker anywhere it waits.
        expect((await request(api.http).post('/api/claims').set(bearer(api.adminKey)).send(pledgeBody())).status).toBe(201);
        let res = await request(api.http).get('/health').set(bearer(api.adminKey));
        for (let i = 0; i < 100 && res.status !== 503; i++) {
          await new Promise((r) => setTimeout(r, 50));
          res = await request(api.http).get('/health').set(bearer(api.adminKey));
        }
        expect(res.status).toBe(503);
        expect(res.body.error.workers).toMatchObject({ status: 'down', message: expect.stringMatching(/no live worker on pledge-match/) });
        expect(res.body.error.workers.queues['pledge-match']).toMatchObject({ workers: 0, oldestWaitingMs: expect.any(Number) });
        expect(res.body.detail).toMatch(/workers/);
        // A process with workers on the same database and queues takes the job: healthy again.
        worker = await bootApp({ dbPath: api.dbPath, overrides: { redisUrl: TEST_REDIS_URL, queuePrefix: queues, runWorkers: true, workerStaleMs: 300 } });
        for (let i = 0; i < 200 && res.status !== 200; i++) {
          await new Promise((r) => setTimeout(r, 50));
          res = await request(api.http).get('/health').set(bearer(api.adminKey));
        }
        expect(res.status).toBe(200);
        expect(res.body.details.workers.queues['pledge-match'].workers).toBeGreaterThanOrEqual(1);
      } finally {
        await worker?.close();
        await api.close();
        await deleteKeysWithPrefix(queues);
      }
    });

    it('answers 503 naming redis when Redis does not answer', async () => {
      // Nothing listens on port 1: the sink cannot connect.
      const t = await bootApp({ overrides: { redisUrl: 'redis://127.0.0.1:1/0', queuePrefix: prefix, runWorkers: false } });
      try {
        const res = await request(t.http).get('/health').set(bearer(t.adminKey));
        expect(res.status).toBe(503);
        expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
        expect(res.body.error.redis).toMatchObject({ status: 'down', message: expect.any(String) });
        expect(res.body.info.database.status).toBe('up');
        expect(res.body.detail).toMatch(/redis/);
        // Keyless callers learn that Redis is down, not where it is or what it said.
        const anonymous = await request(t.http).get('/health');
        expect(anonymous.status).toBe(503);
        expect(anonymous.body.error.redis).toEqual({ status: 'down' });
        expect(anonymous.text).not.toContain('127.0.0.1');
      } finally {
        await t.close();
        // ioredis' disconnect() arms a 2 s timer (disconnectTimeout) to destroy a socket that
        // never connected; let it run out so the Jest worker can exit cleanly.
        await new Promise((r) => setTimeout(r, 2600));
      }
    });
  });
});
