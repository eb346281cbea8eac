import request from 'supertest';
import { bearer, bootApp, type TestApp } from '../../support/app';

/**
 * Issue 16 item 10: behind a proxy, and against guessing. TRUST_PROXY decides whose
 * X-Forwarded-For sets the client address that keyless limits count against; failed
 * authentications are limited per address (AUTH_FAILURES_PER_MINUTE).
 */
const READS = 3;

async function keylessReads(t: TestApp, forwardedFor: string[]): Promise<number[]> {
  const statuses: number[] = [];
  for (const xff of forwardedFor) statuses.push((await request(t.http).get('/api/claims?limit=1').set('x-forwarded-for', xff)).status);
  return statuses;
}

describe('TRUST_PROXY: per-address limits behind a proxy', () => {
  let t: TestApp;
  afterEach(async () => t?.close());

  it('set (the proxy at 127.0.0.1): two X-Forwarded-For addresses get separate keyless budgets', async () => {
    t = await bootApp({ overrides: { publicRead: true, rateLimitReadsPerMinute: READS, trustProxy: ['127.0.0.1'] } });
    expect(await keylessReads(t, Array(READS).fill('203.0.113.1'))).toEqual(Array(READS).fill(200));
    const over = await request(t.http).get('/api/claims?limit=1').set('x-forwarded-for', '203.0.113.1');
    expect(over.status).toBe(429);
    expect(over.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(Number(over.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    // Another reader behind the same proxy has a budget of their own.
    expect(await keylessReads(t, Array(READS).fill('203.0.113.2'))).toEqual(Array(READS).fill(200));
  });

  it('unset (the default): X-Forwarded-For is ignored, so it cannot buy a fresh budget', async () => {
    t = await bootApp({ overrides: { publicRead: true, rateLimitReadsPerMinute: READS } });
    expect(t.config.trustProxy).toBe(false);
    const spoofed = Array.from({ length: READS + 2 }, (_, i) => `198.51.100.${i + 1}`);
    expect(await keylessReads(t, spoofed)).toEqual([...Array(READS).fill(200), 429, 429]);
  });
});

describe('AUTH_FAILURES_PER_MINUTE: failed authentications per address', () => {
  let t: TestApp;
  const FAILURES = 3;
  beforeAll(async () => {
    t = await bootApp({ overrides: { authFailuresPerMinute: FAILURES, trustProxy: true } });
  });
  afterAll(async () => t?.close());

  const listKeys = (key: string, from: string) => request(t.http).get('/api/api-keys').set(bearer(key)).set('x-forwarded-for', from);

  it(`after ${FAILURES} bad keys from one address, further bad keys get 429 with Retry-After; a good key from there still works`, async () => {
    for (let i = 0; i < FAILURES; i++) expect((await listKeys(`guess-${i}-0123456789abcdef`, '192.0.2.7')).status).toBe(401);
    const limited = await listKeys('guess-x-0123456789abcdef', '192.0.2.7');
    expect(limited.status).toBe(429);
    expect(limited.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(limited.body.detail).toMatch(/too many failed authentications from this address/);
    expect(Number(limited.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(Number(limited.headers['retry-after'])).toBeLessThanOrEqual(60);
    // The address is not locked out: a valid key (someone else behind the same NAT) is served.
    const good = await listKeys(t.adminKey, '192.0.2.7');
    expect([good.status, good.body.detail]).toEqual([200, undefined]);
    // Another address has its own count.
    expect((await listKeys('guess-y-0123456789abcdef', '192.0.2.8')).status).toBe(401);
  });

  it('a bad key on /health (public, but a valid key gets the full answer) counts too: past the budget, 429', async () => {
    const health = (key: string) => request(t.http).get('/health').set(bearer(key)).set('x-forwarded-for', '192.0.2.10');
    for (let i = 0; i < FAILURES; i++) {
      const res = await health(`guess-h${i}-0123456789abcdef`);
      expect(res.status).toBe(200);
      expect(JSON.stringify(res.body.info)).not.toMatch(/message|lag|position/); // the public shape, as without a key
    }
    const limited = await health('guess-hx-0123456789abcdef');
    expect(limited.status).toBe(429);
    expect(limited.body.detail).toMatch(/too many failed authentications from this address/);
    expect(Number(limited.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    // No key, or a good key, is still answered from there.
    expect((await request(t.http).get('/health').set('x-forwarded-for', '192.0.2.10')).status).toBe(200);
    expect((await health(t.adminKey)).status).toBe(200);
  });

  it('no key at all is not a failed authentication (401, never counted)', async () => {
    for (let i = 0; i < FAILURES + 2; i++) {
      expect((await request(t.http).get('/api/api-keys').set('x-forwarded-for', '192.0.2.9')).status).toBe(401);
    }
  });
});
