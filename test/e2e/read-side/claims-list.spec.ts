import request from 'supertest';
import { bearer, bootApp, createKey, crimeaClaimBody, pledgeBody, type TestApp } from '../../support/app';
import { postClaim, startWriter } from './helpers';

describe('GET /api/claims: filters and a cursor that holds while others write', () => {
  let t: TestApp;
  let checker: string;
  let viewer: string;
  const seeded: string[] = [];

  const list = async (query: string) => {
    const res = await request(t.http).get(`/api/claims?${query}`).set(bearer(viewer));
    expect(res.status).toBe(200);
    return res.body as { items: Array<{ id: string; position: number; kind: string; statement: string }>; nextCursor: string | null };
  };

  beforeAll(async () => {
    t = await bootApp();
    checker = (await createKey(t, 'checker')).key;
    viewer = (await createKey(t, 'viewer')).key;
    for (let i = 0; i < 30; i++) {
      const body =
        i % 3 === 0
          ? pledgeBody({ statement: `Pledge number ${i} to stop shelling`, speaker: { name: 'Vladimir Medinsky' }, topics: ['Peace talks', `batch-${i % 2}`] })
          : crimeaClaimBody({ statement: `Claim number ${i} about Crimea`, speaker: { name: i % 2 ? 'Dmitry Peskov' : 'Sergei Lavrov' }, topics: ['Crimea', `batch-${i % 2}`] });
      const res = await request(t.http).post('/api/claims').set(bearer(checker)).send(body);
      expect(res.status).toBe(201);
      seeded.push(res.body.id);
    }
  });

  afterAll(async () => {
    await t?.close();
  });

  it('pages of 7 hold every claim that existed when paging started exactly once, while another client keeps POSTing', async () => {
    const writer = startWriter(t, checker, 'concurrent');
    const seen: string[] = [];
    const positions: number[] = [];
    let pages = 0;
    try {
      // Make sure the writer is really interleaving with the reader.
      while (writer.count() < 3) await new Promise((r) => setImmediate(r));
      let cursor: string | null = null;
      do {
        const page = await list(`limit=7${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
        expect(page.items.length).toBeLessThanOrEqual(7);
        for (const item of page.items) {
          seen.push(item.id);
          positions.push(item.position);
        }
        cursor = page.nextCursor;
        pages++;
        // Give the writer room between pages.
        const target = writer.count() + 2;
        while (writer.count() < target) await new Promise((r) => setImmediate(r));
      } while (cursor);
    } finally {
      const written = await writer.stop();
      expect(written.length).toBeGreaterThan(pages);
      // Claims written while paging may show on the first page only; never twice, never later.
      const writtenSet = new Set(written);
      for (const id of seen) expect(seeded.includes(id) || writtenSet.has(id)).toBe(true);
    }
    expect(new Set(seen).size).toBe(seen.length);
    for (const id of seeded) expect(seen).toContain(id);
    // Newest first, strictly.
    for (let i = 1; i < positions.length; i++) expect(positions[i]).toBeLessThan(positions[i - 1]);
  });

  it('filters by kind, speaker, text, topic and status, and pages within a filter', async () => {
    const pledges = await list('kind=pledge&limit=500');
    expect(pledges.items.length).toBe(10);
    expect(pledges.items.every((i) => i.kind === 'pledge')).toBe(true);

    const peskov = await list(`speaker=${encodeURIComponent('  dmitry PESKOV ')}&limit=500`);
    expect(peskov.items.length).toBeGreaterThanOrEqual(10);
    expect(peskov.items.every((i) => /Crimea|concurrent/.test(i.statement))).toBe(true);

    const text = await list(`q=${encodeURIComponent('NUMBER 1')}&limit=500`);
    // "number 1", "number 10".."number 19"
    expect(text.items.map((i) => i.statement).sort()).toEqual(
      seeded
        .map((_, i) => i)
        .filter((i) => String(i).startsWith('1'))
        .map((i) => (i % 3 === 0 ? `Pledge number ${i} to stop shelling` : `Claim number ${i} about Crimea`))
        .sort(),
    );
    const literal = await list(`q=${encodeURIComponent('100%')}`);
    expect(literal.items).toEqual([]);

    const topic = await list('topic=batch-1&kind=claim&limit=500');
    expect(topic.items.length).toBe(10);
    const topicCase = await list(`topic=${encodeURIComponent('PEACE TALKS')}&limit=500`);
    expect(topicCase.items.length).toBe(10);

    const unverified = await list('status=unverified&limit=500');
    expect(unverified.items.length).toBeGreaterThanOrEqual(30);
    expect((await list('status=confirmed')).items).toEqual([]);

    // Paging inside a filter: 10 pledges in pages of 3 → 3 + 3 + 3 + 1.
    const ids: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page = await list(`kind=pledge&limit=3${cursor ? `&cursor=${cursor}` : ''}`);
      ids.push(...page.items.map((i) => i.id));
      cursor = page.nextCursor;
      pages++;
    } while (cursor);
    expect(pages).toBe(4);
    expect(ids).toEqual(pledges.items.map((i) => i.id));
  });

  it('refuses bad filters and cursors with a 400 that names the field', async () => {
    for (const [query, field] of [
      ['kind=rumour', 'kind'],
      ['status=maybe', 'status'],
      ['limit=0', 'limit'],
      ['limit=501', 'limit'],
      ['cursor=not-ours', 'cursor'],
    ] as const) {
      const res = await request(t.http).get(`/api/claims?${query}`).set(bearer(viewer));
      expect(res.status).toBe(400);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.body.errors.map((e: { field: string }) => e.field)).toContain(field);
    }
  });

  it('a claim recorded after the first page never shows up on later pages', async () => {
    const first = await list('limit=5');
    const fresh = await postClaim(t, checker, { statement: 'recorded between pages' });
    const rest: string[] = [];
    let cursor = first.nextCursor;
    while (cursor) {
      const page = await list(`limit=50&cursor=${cursor}`);
      rest.push(...page.items.map((i) => i.id));
      cursor = page.nextCursor;
    }
    expect(rest).not.toContain(fresh.id);
    expect((await list('limit=1')).items[0].id).toBe(fresh.id);
  });
});
