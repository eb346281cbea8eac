import request from 'supertest';
import { bearer, bootApp, createKey, type TestApp } from '../../support/app';
import { listen } from './helpers';
import { SseReader } from './sse-reader';

/**
 * Issue 16.1: opening streams goes through the rate limiter (each attempt is a read), so a
 * script cannot open and drop streams in a loop; keyless attempts count per client address.
 */
describe('GET /api/events/stream: connection attempts are rate-limited', () => {
  const READS = 6;
  let t: TestApp;
  let base: string;
  const open: SseReader[] = [];

  beforeAll(async () => {
    t = await bootApp({ overrides: { publicRead: true, pollIntervalMs: 50, rateLimitReadsPerMinute: READS } });
    base = await listen(t);
  });

  afterAll(async () => {
    for (const r of open) r.close();
    await t?.close();
  });

  it(`keyless: ${READS} attempts a minute per address, then 429 problem+json with Retry-After; a key has its own budget`, async () => {
    const statuses: number[] = [];
    for (let i = 0; i < READS + 2; i++) {
      const r = await SseReader.open(`${base}/api/events/stream`);
      open.push(r);
      statuses.push(r.status);
      r.close();
    }
    expect(statuses.slice(0, READS)).toEqual(Array(READS).fill(200));
    expect(statuses.slice(READS)).toEqual([429, 429]);
    const refused = await request(t.http).get('/api/events/stream');
    expect(refused.status).toBe(429);
    expect(refused.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(Number(refused.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(refused.body.detail).toMatch(/rate limit/);

    const viewer = await createKey(t, 'viewer');
    const keyed = await SseReader.open(`${base}/api/events/stream`, bearer(viewer.key));
    open.push(keyed);
    expect(keyed.status).toBe(200);
  });
});
