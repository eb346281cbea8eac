import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import request from 'supertest';
import sqlite3 from 'sqlite3';
import {
  bearer,
  bootApp,
  crimeaClaimBody,
  evidenceBody,
  KYIV,
  pledgeBody,
  reportBody,
  type TestApp,
} from '../../support/app';
import { eventually, expectProblem, settle } from '../../support/http';

// --- An independent RFC 8785 implementation, written for this test ---------------------------
// It shares no code with src/ledger: strings are escaped character by character, object members
// are collected as [key, value] pairs and ordered by an explicit UTF-16 code-unit comparison.

function jcsEscapeString(s: string): string {
  const parts: string[] = ['"'];
  for (let i = 0; i < s.length; i++) {
    const unit = s.charCodeAt(i);
    if (unit === 0x22) parts.push('\\"');
    else if (unit === 0x5c) parts.push('\\\\');
    else if (unit === 0x08) parts.push('\\b');
    else if (unit === 0x0c) parts.push('\\f');
    else if (unit === 0x0a) parts.push('\\n');
    else if (unit === 0x0d) parts.push('\\r');
    else if (unit === 0x09) parts.push('\\t');
    else if (unit < 0x20) parts.push('\\u' + ('000' + unit.toString(16)).slice(-4));
    else if (unit >= 0xd800 && unit <= 0xdbff) {
      const next = s.charCodeAt(i + 1);
      if (!(next >= 0xdc00 && next <= 0xdfff)) throw new Error('lone high surrogate');
      parts.push(s[i] + s[i + 1]);
      i++;
    } else if (unit >= 0xdc00 && unit <= 0xdfff) throw new Error('lone low surrogate');
    else parts.push(s[i]);
  }
  parts.push('"');
  return parts.join('');
}

function utf16Compare(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const d = a.charCodeAt(i) - b.charCodeAt(i);
    if (d !== 0) return d;
  }
  return a.length - b.length;
}

function jcsNumber(n: number): string {
  if (!Number.isFinite(n)) throw new Error('not a finite number');
  if (n === 0) return '0'; // also -0
  // RFC 8785 §3.2.2.3 adopts ECMAScript's Number-to-String; that is what toString(10) is.
  return n.toString(10);
}

function jcs(value: unknown): string {
  if (value === null) return 'null';
  if (value === true) return 'true';
  if (value === false) return 'false';
  if (typeof value === 'number') return jcsNumber(value);
  if (typeof value === 'string') return jcsEscapeString(value);
  if (Array.isArray(value)) return '[' + value.map(jcs).join(',') + ']';
  if (typeof value === 'object') {
    const members: Array<[string, unknown]> = [];
    for (const key of Object.keys(value as object)) members.push([key, (value as Record<string, unknown>)[key]]);
    members.sort((x, y) => utf16Compare(x[0], y[0]));
    return '{' + members.map(([k, v]) => jcsEscapeString(k) + ':' + jcs(v)).join(',') + '}';
  }
  throw new Error(`not JSON: ${typeof value}`);
}

describe('the independent canonicalizer itself', () => {
  const VECTORS = join(__dirname, '../../fixtures/rfc8785');
  it.each(readdirSync(join(VECTORS, 'input')).filter((f) => f.endsWith('.json')))('passes the RFC 8785 vector %s', (name) => {
    const input = JSON.parse(readFileSync(join(VECTORS, 'input', name), 'utf8'));
    expect(Buffer.from(jcs(input), 'utf8').equals(readFileSync(join(VECTORS, 'output', name)))).toBe(true);
  });

  it('matches RFC 8785 on a few known cases', () => {
    expect(jcs({ b: [1e21, 1e-7, -0, 0.5], a: 'é\n"\\\u001f', '\u{1f602}': true, '\ufb33': null })).toBe(
      '{"a":"é\\n\\"\\\\\\u001f","b":[1e+21,1e-7,0,0.5],"\u{1f602}":true,"\ufb33":null}',
    );
  });
});

interface FeedEvent {
  position: number;
  streamId: string;
  streamVersion: number;
  type: string;
  data: unknown;
  metadata: { actor: unknown; correlationId: string; causationId: string | null };
  recordedAt: string;
  prevHash: string;
  hash: string;
}

function sqliteRun(dbPath: string, sql: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const db = new sqlite3.Database(dbPath, (err) => {
      if (err) return reject(err);
      db.exec(sql, (execErr) => db.close(() => (execErr ? reject(execErr) : resolve())));
    });
  });
}

describe('an empty ledger', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await bootApp();
  });
  afterAll(async () => {
    await t?.close();
  });

  it('verifies with nothing checked and no head hash; the feed is empty', async () => {
    const verify = await request(t.http).get('/api/ledger/verify').set(bearer(t.adminKey));
    expect(verify.status).toBe(200);
    expect(verify.body).toEqual({ ok: true, checked: 0, head: { position: 0, hash: null } });
    const feed = await request(t.http).get('/api/events').set(bearer(t.adminKey));
    expect(feed.status).toBe(200);
    expect(feed.body).toEqual({ items: [], nextCursor: null });
  });
});

describe('the global feed and the hash chain', () => {
  let t: TestApp;
  let auth: { Authorization: string };
  let total: number;

  beforeAll(async () => {
    t = await bootApp();
    auth = bearer(t.adminKey);
    const post = async (path: string, body: unknown, status: number) => {
      const res = await request(t.http).post(path).set(auth).send(body as object);
      expect(res.status).toBe(status);
      return res.body;
    };
    const pledge = await post('/api/claims', pledgeBody(), 201);
    const crimea = await post('/api/claims', crimeaClaimBody(), 201);
    // Text and numbers that exercise canonical JSON: escapes, non-BMP characters, exponents.
    await post(
      '/api/claims',
      pledgeBody({
        statement: 'Ми не "здамо" Київ — \\ 😂 </script>\ttab\nnewline \u2028 דּ',
        speaker: { name: 'Ölaf Ünal 🇺🇦', affiliation: '"quoted" \\ affiliation' },
        topics: ['zzz', 'AAA', 'ä', '😀'],
        scope: {
          places: [
            { name: 'Null Island', lat: 0.0000001, lon: -179.9999999, radiusKm: 12.5 },
            { ...KYIV, radiusKm: 0 },
          ],
          indicators: ['shelling'],
          from: '2022-03-29T14:00:00.123456+03:00',
          until: '2022-04-29T00:00:00Z',
          expectation: 'presence',
        },
      }),
      201,
    );
    await post(`/api/claims/${pledge.id}/evidence`, evidenceBody(), 202);
    await post(`/api/claims/${crimea.id}/evidence`, evidenceBody({ stance: 'supports', credibility: 6, reliability: 'F' }), 202);
    const report = await post('/api/reports', reportBody({ places: [{ name: 'Chernihiv', lat: 51.5, lon: 31.3 }] }), 202);
    // Let the jobs attach the evidence and match the report to the pledges, then retract it (detach job).
    await eventually(
      'the report to be attached to the seed pledge',
      () => request(t.http).get(`/api/evidence/${report.evidenceId}`).set(auth),
      (r) => Array.isArray(r.body.attachedTo) && r.body.attachedTo.length >= 1,
    );
    await post(`/api/evidence/${report.evidenceId}/retract`, { reason: 'misdated' }, 202);
    await eventually(
      'the retracted report to be detached',
      () => request(t.http).get(`/api/evidence/${report.evidenceId}`).set(auth),
      (r) => r.body.attachedTo.every((a: { attached: boolean }) => !a.attached),
    );
    await settle(t);
    total = (await request(t.http).get('/api/ledger/verify').set(auth)).body.head.position;
  });
  afterAll(async () => {
    await t?.close();
  });

  async function wholeFeed(limit: number): Promise<{ events: FeedEvent[]; pages: number }> {
    const events: FeedEvent[] = [];
    let after = 0;
    let pages = 0;
    for (;;) {
      const res = await request(t.http).get(`/api/events?after=${after}&limit=${limit}`).set(auth);
      expect(res.status).toBe(200);
      pages++;
      events.push(...res.body.items);
      if (res.body.nextCursor === null) break;
      after = Number(res.body.nextCursor);
      expect(after).toBe(events[events.length - 1].position);
    }
    return { events, pages };
  }

  it('holds every event type of the catalogue', async () => {
    const { events } = await wholeFeed(500);
    // The third pledge's window (until 2022-04-29) has closed: the window scheduler appends ScopeWindowClosed (verdict-v2).
    expect(new Set(events.map((e) => e.type))).toEqual(
      new Set(['ClaimRecorded', 'EvidenceSubmitted', 'EvidenceRetracted', 'EvidenceAttached', 'EvidenceDetached', 'VerificationStatusChanged', 'ScopeWindowClosed']),
    );
    expect(total).toBe(events.length);
  });

  it('GET /api/events: oldest first, gap-free from 1, envelopes as the contract lists them', async () => {
    const res = await request(t.http).get('/api/events').set(auth);
    expect(res.status).toBe(200);
    expect(res.body.items.map((e: FeedEvent) => e.position)).toEqual(Array.from({ length: total }, (_, i) => i + 1));
    expect(res.body.nextCursor).toBeNull();
    for (const e of res.body.items as FeedEvent[]) {
      expect(Object.keys(e).sort()).toEqual(['data', 'hash', 'metadata', 'position', 'prevHash', 'recordedAt', 'streamId', 'streamVersion', 'type']);
      expect(Object.keys(e.metadata).sort()).toEqual(['actor', 'causationId', 'correlationId']);
      expect(e.streamId).toMatch(/^(claim|evidence)-[0-9a-f-]{36}$/);
      expect(e.hash).toMatch(/^[0-9a-f]{64}$/);
    }
  });

  it.each([1, 2, 3, 7])('?after=&limit=%i pages through the whole feed once', async (limit) => {
    const { events, pages } = await wholeFeed(limit);
    expect(events.map((e) => e.position)).toEqual(Array.from({ length: total }, (_, i) => i + 1));
    expect(pages).toBeGreaterThanOrEqual(Math.ceil(total / limit));
    expect(pages).toBeLessThanOrEqual(Math.ceil(total / limit) + 1);
  });

  it('?after= in the middle and past the head', async () => {
    const mid = await request(t.http).get('/api/events?after=3&limit=2').set(auth);
    expect(mid.body.items.map((e: FeedEvent) => e.position)).toEqual([4, 5]);
    const past = await request(t.http).get(`/api/events?after=${total}`).set(auth);
    expect(past.body).toEqual({ items: [], nextCursor: null });
    const far = await request(t.http).get(`/api/events?after=${total + 1000}`).set(auth);
    expect(far.body).toEqual({ items: [], nextCursor: null });
  });

  it('the chain recomputes from GET /api/events alone, with an independent canonical JSON and SHA-256', async () => {
    const { events } = await wholeFeed(4);
    let prevHash = '0'.repeat(64);
    for (const [i, e] of events.entries()) {
      expect(e.position).toBe(i + 1);
      expect(e.prevHash).toBe(prevHash);
      const envelope = {
        position: e.position,
        streamId: e.streamId,
        streamVersion: e.streamVersion,
        type: e.type,
        data: e.data,
        metadata: e.metadata,
        recordedAt: e.recordedAt,
        prevHash: e.prevHash,
      };
      const hash = createHash('sha256').update(Buffer.from(jcs(envelope), 'utf8')).digest('hex');
      expect({ position: e.position, hash }).toEqual({ position: e.position, hash: e.hash });
      prevHash = e.hash;
    }
    const verify = await request(t.http).get('/api/ledger/verify').set(auth);
    expect(verify.body).toEqual({ ok: true, checked: events.length, head: { position: events.length, hash: prevHash } });
  });

  it('stream versions are gap-free per stream, in log order', async () => {
    const { events } = await wholeFeed(500);
    const versions = new Map<string, number>();
    for (const e of events) {
      expect(e.streamVersion).toBe((versions.get(e.streamId) ?? 0) + 1);
      versions.set(e.streamId, e.streamVersion);
    }
  });

  it('UPDATE and DELETE on events are refused by the database itself', async () => {
    await expect(sqliteRun(t.dbPath, `UPDATE events SET data = '{}' WHERE position = 1`)).rejects.toThrow(/append-only: UPDATE refused/);
    await expect(sqliteRun(t.dbPath, `DELETE FROM events WHERE position = ${total}`)).rejects.toThrow(/append-only: DELETE refused/);
    await expect(sqliteRun(t.dbPath, 'DELETE FROM events')).rejects.toThrow(/append-only: DELETE refused/);
    const verify = await request(t.http).get('/api/ledger/verify').set(auth);
    expect(verify.body).toMatchObject({ ok: true, checked: total });
  });
});

describe('editing the log behind the service\'s back', () => {
  let t: TestApp;
  let auth: { Authorization: string };
  let head: { position: number; hash: string };

  beforeAll(async () => {
    t = await bootApp();
    auth = bearer(t.adminKey);
    for (const body of [pledgeBody(), crimeaClaimBody(), crimeaClaimBody({ statement: 'A third claim' }), crimeaClaimBody({ statement: 'A fourth claim' })]) {
      expect((await request(t.http).post('/api/claims').set(auth).send(body)).status).toBe(201);
    }
    await settle(t);
    head = (await request(t.http).get('/api/ledger/verify').set(auth)).body.head;
    expect(head.position).toBe(4);
    await sqliteRun(t.dbPath, 'DROP TRIGGER events_refuse_update');
  });
  afterAll(async () => {
    await t?.close();
  });

  const cases: Array<[string, number, string, string]> = [
    ['data of position 2', 2, 'data', `replace(data, 'Crimea', 'Krym')`],
    ['metadata of position 3', 3, 'metadata', `replace(metadata, 'ADMIN_API_KEY', 'SOMEONE_ELSE')`],
    ['the type of position 1', 1, 'type', `'ClaimRetracted'`],
    ['recorded_at of position 4', 4, 'recorded_at', `'2022-03-30T00:00:00.000Z'`],
    ['the hash of position 4 (the head)', 4, 'hash', `'${'a'.repeat(64)}'`],
    ['prev_hash of position 3', 3, 'prev_hash', `'${'0'.repeat(64)}'`],
    ['stream_version of position 2', 2, 'stream_version', '7'],
  ];

  it.each(cases)('changing %s makes GET /api/ledger/verify?full=true answer ok:false at that position', async (_label, position, column, expr) => {
    const original = await new Promise<unknown>((resolve, reject) => {
      const db = new sqlite3.Database(t.dbPath, sqlite3.OPEN_READONLY, (err) => {
        if (err) return reject(err);
        db.get(`SELECT ${column} AS v FROM events WHERE position = ?`, [position], (e, row: { v: unknown }) => db.close(() => (e ? reject(e) : resolve(row.v))));
      });
    });
    await sqliteRun(t.dbPath, `UPDATE events SET ${column} = ${expr} WHERE position = ${position}`);
    try {
      // Behind the verified position only a full walk (an admin's ?full=true, or the background check) looks.
      const res = await request(t.http).get('/api/ledger/verify?full=true').set(auth);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ ok: false, firstBadPosition: position, checked: position - 1 });
      expect(res.body.head.position).toBe(position - 1);
    } finally {
      // Put the byte back: the chain verifies again, so the next case starts clean.
      const literal = typeof original === 'number' ? String(original) : `'${String(original).replace(/'/g, "''")}'`;
      await sqliteRun(t.dbPath, `UPDATE events SET ${column} = ${literal} WHERE position = ${position}`);
    }
    const healed = await request(t.http).get('/api/ledger/verify?full=true').set(auth);
    expect(healed.body).toEqual({ ok: true, checked: 4, head });
  });

  it('the contract case: data of position 2 edited with the trigger dropped', async () => {
    await sqliteRun(t.dbPath, `UPDATE events SET data = replace(data, 'invade', 'defend') WHERE position = 2`);
    // The ordinary verify continues from the verified head: an edit behind it waits for a full walk.
    const incremental = await request(t.http).get('/api/ledger/verify').set(auth);
    expect(incremental.body).toEqual({ ok: true, checked: 4, head });
    const res = await request(t.http).get('/api/ledger/verify?full=true').set(auth);
    expect(res.status).toBe(200);
    expect(res.body.ok).toBe(false);
    expect(res.body.firstBadPosition).toBe(2);
    // Found once, the damage is what every verify says until a full walk passes again.
    expect((await request(t.http).get('/api/ledger/verify').set(auth)).body).toMatchObject({ ok: false, firstBadPosition: 2 });
    // The feed still serves, and shows the edited text: readers can see what changed.
    const feed = await request(t.http).get('/api/events?after=1&limit=1').set(auth);
    expect(feed.body.items[0].data.statement).toContain('defend');
    // Without a key, verify is still a 401, not a leak.
    expectProblem(await request(t.http).get('/api/ledger/verify'), 401);
  });
});
