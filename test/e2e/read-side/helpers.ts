import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { bearer, crimeaClaimBody, type TestApp } from '../../support/app';

/** Starts the booted app listening on an ephemeral loopback port; returns its base URL. */
export async function listen(t: TestApp): Promise<string> {
  await t.app.listen(0, '127.0.0.1');
  const addr = t.http.address() as AddressInfo;
  return `http://127.0.0.1:${addr.port}`;
}

/** Polls `probe` until it returns a truthy value or the deadline passes. */
export async function waitFor<T>(probe: () => Promise<T> | T, what: string, timeoutMs = 10_000, everyMs = 25): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  for (;;) {
    last = await probe();
    if (last) return last as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

export async function postClaim(t: TestApp, key: string, extra: Record<string, unknown> = {}): Promise<{ id: string; position: number }> {
  const res = await request(t.http).post('/api/claims').set(bearer(key)).send(crimeaClaimBody(extra));
  if (res.status !== 201) throw new Error(`POST /api/claims answered ${res.status}: ${res.text}`);
  return res.body;
}

/** The whole global feed via GET /api/events, page by page. */
export async function allEvents(t: TestApp, key: string): Promise<Array<Record<string, unknown> & { position: number }>> {
  const out: Array<Record<string, unknown> & { position: number }> = [];
  let after = 0;
  for (;;) {
    const res = await request(t.http).get(`/api/events?after=${after}&limit=500`).set(bearer(key));
    if (res.status !== 200) throw new Error(`GET /api/events answered ${res.status}: ${res.text}`);
    out.push(...res.body.items);
    if (!res.body.nextCursor) return out;
    after = Number(res.body.nextCursor);
  }
}

/** A background writer: POSTs claims one after another until stopped. */
export function startWriter(t: TestApp, key: string, label = 'writer'): { stop(): Promise<string[]>; count(): number } {
  const ids: string[] = [];
  let running = true;
  const loop = (async () => {
    let i = 0;
    while (running) {
      const c = await postClaim(t, key, { statement: `${label} claim ${i++}` });
      ids.push(c.id);
    }
  })();
  return {
    count: () => ids.length,
    async stop() {
      running = false;
      await loop;
      return ids;
    },
  };
}
