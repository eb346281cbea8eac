import request from 'supertest';
import type { Response } from 'supertest';
import { LogDispatcher } from '../../src/jobs/log-dispatcher';
import { bearer, type TestApp } from './app';

/** Asserts an RFC 9457 problem+json answer with this status, naming `field` in errors[] when given. */
export function expectProblem(res: Response, status: number, field?: string): void {
  if (res.status !== status) {
    throw new Error(`expected ${status}, got ${res.status}: ${res.text}`);
  }
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  const body = JSON.parse(res.text);
  expect(body).toMatchObject({ status, type: expect.any(String), title: expect.any(String), detail: expect.any(String) });
  if (field !== undefined) {
    expect(Array.isArray(body.errors)).toBe(true);
    const fields = (body.errors as Array<{ field: string; message: string }>).map((e) => e.field);
    expect(fields).toContain(field);
    for (const e of body.errors) expect(typeof e.message).toBe('string');
  }
}

export interface LedgerSnapshot {
  head: { position: number; hash: string | null };
  events: number;
}

/** Head of the chain (GET /api/ledger/verify) and the size of the feed, as a user sees them. */
export async function snapshot(t: Pick<TestApp, 'http'>, key: string): Promise<LedgerSnapshot> {
  const verify = await request(t.http).get('/api/ledger/verify').set(bearer(key));
  if (verify.status !== 200) throw new Error(`verify answered ${verify.status}: ${verify.text}`);
  let events = 0;
  let after = 0;
  for (;;) {
    const page = await request(t.http).get(`/api/events?after=${after}&limit=500`).set(bearer(key));
    if (page.status !== 200) throw new Error(`events answered ${page.status}: ${page.text}`);
    events += page.body.items.length;
    if (page.body.items.length < 500) break;
    after = page.body.items[page.body.items.length - 1].position;
  }
  return { head: verify.body.head, events };
}

/** Polls `probe` until `accept` holds (or fails after timeoutMs with what it last saw). */
export async function eventually<T>(what: string, probe: () => Promise<T> | T, accept: (v: T) => boolean, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (accept(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last saw ${JSON.stringify(value)?.slice(0, 1000)}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * Waits until background work the app does after a commit (in-process verification jobs) has
 * caught up with the log, so a test can then assert that *its* request wrote nothing.
 */
export async function settle(t: Pick<TestApp, 'app'>, timeoutMs = 10_000): Promise<void> {
  let dispatcher: LogDispatcher | null = null;
  try {
    dispatcher = t.app.get(LogDispatcher, { strict: false });
  } catch {
    dispatcher = null; // an app without background jobs has nothing to wait for
  }
  if (dispatcher && !(await dispatcher.drained(timeoutMs))) throw new Error(`background jobs did not settle within ${timeoutMs} ms`);
}

/**
 * Runs `action` and asserts the ledger head and feed did not move. Returns what action returned.
 * Background jobs are let settle first, so only the action's own writes could move the head.
 */
export async function expectNothingWritten<T>(t: Pick<TestApp, 'http' | 'app'>, key: string, action: () => Promise<T>): Promise<T> {
  await settle(t);
  const before = await snapshot(t, key);
  const result = await action();
  await settle(t);
  expect(await snapshot(t, key)).toEqual(before);
  return result;
}

/** Every item of a paginated list route, following nextCursor; fails on a page that repeats an item. */
export async function collectPages(
  t: Pick<TestApp, 'http'>,
  key: string,
  path: string,
  limit: number,
): Promise<{ items: Array<Record<string, unknown>>; pages: number }> {
  const items: Array<Record<string, unknown>> = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const sep = path.includes('?') ? '&' : '?';
    const url: string = `${path}${sep}limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
    const res: request.Response = await request(t.http).get(url).set(bearer(key));
    expect(res.status).toBe(200);
    expect(res.body.items.length).toBeLessThanOrEqual(limit);
    items.push(...res.body.items);
    cursor = res.body.nextCursor;
    pages++;
    if (pages > 1000) throw new Error('pagination does not end');
  } while (cursor !== null);
  return { items, pages };
}

export const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
export const ISO_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;
