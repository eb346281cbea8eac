/**
 * The read side of one claim: as-of views, the timeline, the ClaimReview export, and the
 * dashboard's static files. One app serves all three groups (boots are the slow part).
 */
import request from 'supertest';
import { buildClaimReview, RATING_VALUE } from '../../../src/claim-review/claim-review';
import { CLAIM_REVIEW_CONTEXT } from '../../../src/claim-review/transparency-proof';
import type { StoredEventOf } from '../../../src/domain/events';
import { bearer, bootApp, createKey, crimeaClaimBody, evidenceBody, pledgeBody, reportBody, type TestApp } from '../../support/app';
import { waitFor } from './helpers';

const ORG = { orgName: 'Example Fact Desk', orgUrl: 'https://factdesk.example', publicBaseUrl: 'https://ledger.factdesk.example' };

let t: TestApp;
let checker: string;
let viewer: string;

beforeAll(async () => {
  t = await bootApp({ overrides: { ...ORG, pollIntervalMs: 20 } });
  checker = (await createKey(t, 'checker')).key;
  viewer = (await createKey(t, 'viewer')).key;
});

afterAll(async () => {
  await t?.close();
});

interface View {
  status: string;
  evidence: Array<{ evidenceId: string; stance: string }>;
  statusHistory: Array<{ status: string; at: string; position: number }>;
  verdict: { support: number; contradict: number; basis: string[] };
  version: number;
  recordedAt: string;
}

/** An ISO time shifted by ms, written with the given offset (e.g. +05:30) instead of Z. */
function shifted(iso: string, ms: number, offset = 'Z'): string {
  const t = Date.parse(iso) + ms;
  if (offset === 'Z') return new Date(t).toISOString();
  const sign = offset[0] === '-' ? -1 : 1;
  const [hh, mm] = offset.slice(1).split(':').map(Number);
  const local = new Date(t + sign * (hh * 60 + mm) * 60_000).toISOString().replace('Z', '');
  return `${local}${offset}`;
}

describe('GET /api/claims/:id?asOf=: the claim as the ledger knew it then', () => {
  let claimId: string;
  let e1: string;
  let e2: string;
  let now: View;

  const view = async (asOf?: string) =>
    request(t.http)
      .get(`/api/claims/${claimId}${asOf ? `?asOf=${encodeURIComponent(asOf)}` : ''}`)
      .set(bearer(viewer));

  const statusIs = (status: string) =>
    waitFor(async () => {
      const res = await view();
      return res.body.status === status ? (res.body as View) : null;
    }, `status ${status}`);

  /** Waits until the clock has moved past `iso`, so the next event is recorded strictly later. */
  const pastTime = (iso: string) => waitFor(() => Date.now() > Date.parse(iso) + 2, 'the clock to move on', 1000, 1);

  beforeAll(async () => {
    const c = await request(t.http).post('/api/claims').set(bearer(checker)).send(crimeaClaimBody());
    expect(c.status).toBe(201);
    claimId = c.body.id;
    const recorded = (await view()).body as View;
    await pastTime(recorded.recordedAt);

    const r1 = await request(t.http)
      .post(`/api/claims/${claimId}/evidence`)
      .set(bearer(checker))
      .send(evidenceBody({ stance: 'supports', reliability: 'A', credibility: 1, source: { url: 'https://reuters.example/a', publisher: 'Reuters' } }));
    expect(r1.status).toBe(202);
    e1 = r1.body.evidenceId;
    const supported = await statusIs('supported');
    await pastTime(supported.statusHistory[1].at);

    const r2 = await request(t.http)
      .post(`/api/claims/${claimId}/evidence`)
      .set(bearer(checker))
      .send(evidenceBody({ stance: 'contradicts', reliability: 'A', credibility: 1, source: { url: 'https://ap.example/b', publisher: 'AP' } }));
    expect(r2.status).toBe(202);
    e2 = r2.body.evidenceId;
    now = await statusIs('disputed');
  });

  it('lists every status with its time and position', () => {
    expect(now.statusHistory.map((s) => s.status)).toEqual(['unverified', 'supported', 'disputed']);
    const [h0, h1, h2] = now.statusHistory;
    expect(h0.at).toBe(now.recordedAt);
    expect(h1.position).toBeGreaterThan(h0.position);
    expect(h2.position).toBeGreaterThan(h1.position);
    expect(Date.parse(h2.at)).toBeGreaterThan(Date.parse(h1.at));
    expect(now.evidence.map((e) => e.evidenceId).sort()).toEqual([e1, e2].sort());
  });

  it('is 404 before the claim was recorded, and the bare claim at the moment it was', async () => {
    const before = await view(shifted(now.recordedAt, -1));
    expect(before.status).toBe(404);
    expect(before.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(before.body.detail).toMatch(/not recorded yet/);

    const atCreation = await view(now.recordedAt);
    expect(atCreation.status).toBe(200);
    expect(atCreation.body.status).toBe('unverified');
    expect(atCreation.body.evidence).toEqual([]);
    expect(atCreation.body.statusHistory).toEqual([now.statusHistory[0]]);
  });

  it('between two status changes shows the earlier status, and the evidence as it was then', async () => {
    const [, supported, disputed] = now.statusHistory;
    for (const asOf of [supported.at, shifted(disputed.at, -1), shifted(supported.at, 0, '+05:30'), shifted(disputed.at, -1, '-03:00')]) {
      const res = await view(asOf);
      expect(res.status).toBe(200);
      expect(res.body.status).toBe('supported');
      expect(res.body.evidence.map((e: { evidenceId: string }) => e.evidenceId)).toEqual([e1]);
      expect(res.body.verdict).toEqual(expect.objectContaining({ support: 1, contradict: 0, basis: [e1] }));
      expect(res.body.statusHistory).toEqual(now.statusHistory.slice(0, 2));
      expect(res.body.version).toBeLessThan(now.version);
    }
    const later = await view(disputed.at);
    expect(later.body.status).toBe('disputed');
    expect(later.body).toEqual({ ...now });
  });

  it('refuses an asOf that is not an ISO date-time with a zone', async () => {
    for (const bad of ['yesterday', '2022-03-30', '2022-03-30T12:00:00']) {
      const res = await view(bad);
      expect(res.status).toBe(400);
      expect(res.body.errors[0].field).toBe('asOf');
    }
  });

  it('the dashboard timeline agrees with the recorded status changes, and cuts at asOf too', async () => {
    const res = await request(t.http).get(`/api/claims/${claimId}/timeline`).set(bearer(viewer));
    expect(res.status).toBe(200);
    const points = res.body.points as Array<{ type: string; support: number; contradict: number; status: string; statusChange?: { to: string } }>;
    expect(points.filter((p) => p.statusChange).map((p) => p.statusChange!.to)).toEqual(['supported', 'disputed']);
    const attached = points.filter((p) => p.type === 'EvidenceAttached');
    expect(attached.map((p) => [p.support, p.contradict])).toEqual([
      [1, 0],
      [1, 1],
    ]);
    expect(points[points.length - 1].status).toBe('disputed');

    const cut = await request(t.http)
      .get(`/api/claims/${claimId}/timeline?asOf=${encodeURIComponent(now.statusHistory[1].at)}`)
      .set(bearer(viewer));
    expect(cut.body.points[cut.body.points.length - 1].status).toBe('supported');
    const missing = await request(t.http)
      .get(`/api/claims/${claimId}/timeline?asOf=${encodeURIComponent(shifted(now.recordedAt, -1))}`)
      .set(bearer(viewer));
    expect(missing.status).toBe(404);
  });
});

describe('GET /api/claims/:id/claim-review (schema.org ClaimReview)', () => {
  const review = (id: string) => request(t.http).get(`/api/claims/${id}/claim-review`).set(bearer(viewer));
  const newClaim = async (body: Record<string, unknown>) => {
    const res = await request(t.http).post('/api/claims').set(bearer(checker)).send(body);
    expect(res.status).toBe(201);
    return res.body.id as string;
  };
  const addEvidence = async (id: string, body: Record<string, unknown>) => {
    const res = await request(t.http).post(`/api/claims/${id}/evidence`).set(bearer(checker)).send(body);
    expect(res.status).toBe(202);
  };
  const statusIs = (id: string, status: string) =>
    waitFor(async () => {
      const res = await request(t.http).get(`/api/claims/${id}`).set(bearer(viewer));
      return res.body.status === status ? res.body : null;
    }, `claim ${id} to be ${status}`);

  it('is 409 "not yet rated" while the claim is unverified; 404 for an unknown claim; 400 for a bad id', async () => {
    const id = await newClaim(crimeaClaimBody());
    const res = await review(id);
    expect(res.status).toBe(409);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body.title).toBe('Not yet rated');
    expect(res.body.detail).toMatch(/not yet rated/i);
    expect(res.body.status).toBe(409);

    const unknown = await review('00000000-0000-4000-8000-000000000000');
    expect(unknown.status).toBe(404);
    const bad = await review('not-a-uuid');
    expect(bad.status).toBe(400);
    expect(bad.body.errors[0].field).toBe('id');
    const anonymous = await request(t.http).get(`/api/claims/${id}/claim-review`);
    expect(anonymous.status).toBe(401);
  });

  it('carries every ClaimReview field, and the ledger position and hash the verdict rests on', async () => {
    const id = await newClaim(crimeaClaimBody());
    await addEvidence(id, evidenceBody({ stance: 'contradicts' }));
    const view = await statusIs(id, 'contradicted');

    const res = await review(id);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/ld\+json/);
    const body = JSON.parse(res.text);
    const claim = crimeaClaimBody() as { statement: string; speaker: { name: string; affiliation: string }; madeAt: string; source: { url: string; publisher: string } };
    const lastChange = view.statusHistory[view.statusHistory.length - 1];

    expect(body).toMatchObject({
      // schema.org, plus our own terms (claimLedger, transparency and all inside them) under claim-ledger's namespace
      '@context': CLAIM_REVIEW_CONTEXT,
      '@type': 'ClaimReview',
      // The claim's public page (GET /claims/:id), which embeds this document.
      url: `${ORG.publicBaseUrl}/claims/${id}`,
      claimReviewed: claim.statement,
      datePublished: lastChange.at,
      author: { '@type': 'Organization', name: ORG.orgName, url: ORG.orgUrl },
      reviewRating: { '@type': 'Rating', ratingValue: 2, bestRating: 5, worstRating: 1, alternateName: 'contradicted' },
      itemReviewed: {
        '@type': 'Claim',
        author: { name: claim.speaker.name },
        datePublished: claim.madeAt,
        appearance: { '@type': 'CreativeWork', url: claim.source.url },
      },
    });
    expect(['Person', 'Organization']).toContain(body.itemReviewed.author['@type']);

    // The extension names the VerificationStatusChanged event; check it against the public feed.
    const ext = body.claimLedger;
    expect(ext.position).toBe(lastChange.position);
    const feed = await request(t.http).get(`/api/events?after=${ext.position - 1}&limit=1`).set(bearer(viewer));
    const event = feed.body.items[0];
    expect(event.position).toBe(ext.position);
    expect(event.type).toBe('VerificationStatusChanged');
    expect(event.streamId).toBe(`claim-${id}`);
    expect(ext.hash).toBe(event.hash);
    expect(ext.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(event.data.to).toBe('contradicted');
    expect(event.recordedAt).toBe(body.datePublished);
    expect(ext).toMatchObject({
      rule: event.data.rule,
      support: event.data.support,
      contradict: event.data.contradict,
      basis: event.data.basis,
    });
    // Issue 12: the verdict's place in a signed checkpoint's tree, and where to get its proof.
    expect(body.transparency).toMatchObject({
      position: ext.position,
      eventHash: ext.hash,
      checkpoint: { size: expect.any(Number), rootHash: expect.stringMatching(/^[0-9a-f]{64}$/) },
      proof: `${ORG.publicBaseUrl}/api/claims/${id}/proof`,
      vkey: expect.stringMatching(/\+[0-9a-f]{8}\+/),
    });
    expect(body.transparency.checkpoint.size).toBeGreaterThanOrEqual(ext.position);
  });

  it('rates confirmed 5 and names a pledge speaker as a Person with an affiliation', async () => {
    const id = await newClaim(crimeaClaimBody({ statement: 'A claim two outlets confirm' }));
    await addEvidence(id, evidenceBody({ stance: 'supports', reliability: 'A', credibility: 1, source: { url: 'https://one.example/x', publisher: 'One' } }));
    await addEvidence(id, evidenceBody({ stance: 'supports', reliability: 'B', credibility: 1, source: { url: 'https://two.example/y', publisher: 'Two' } }));
    await statusIs(id, 'confirmed');
    const confirmed = JSON.parse((await review(id)).text);
    expect(confirmed.reviewRating).toMatchObject({ ratingValue: 5, alternateName: 'confirmed' });
    expect(confirmed.claimLedger.support).toBe(1.8);

    // A pledge contradicted by a field report the matcher attached.
    const pledgeId = await newClaim(pledgeBody());
    const rep = await request(t.http).post('/api/reports').set(bearer(checker)).send(reportBody());
    expect(rep.status).toBe(202);
    await statusIs(pledgeId, 'contradicted');
    const p = JSON.parse((await review(pledgeId)).text);
    expect(p.reviewRating).toMatchObject({ ratingValue: 2, alternateName: 'contradicted' });
    expect(p.itemReviewed.author).toEqual({
      '@type': 'Person',
      name: 'Vladimir Medinsky',
      affiliation: { '@type': 'Organization', name: 'Russian negotiating delegation' },
    });
    expect(p.itemReviewed.datePublished).toBe((pledgeBody() as { madeAt: string }).madeAt);
  });

  it('maps every status to its rating (refuted 1 … confirmed 5)', () => {
    expect(RATING_VALUE).toEqual({ refuted: 1, contradicted: 2, disputed: 3, supported: 4, confirmed: 5 });
    for (const [status, value] of Object.entries(RATING_VALUE)) {
      const event = {
        position: 9,
        streamId: 'claim-x',
        streamVersion: 3,
        type: 'VerificationStatusChanged',
        data: { from: 'unverified', to: status, support: 0, contradict: 0, basis: [], rule: 'verdict-v1' },
        metadata: { actor: { kind: 'system', name: 't' }, correlationId: 'c', causationId: null },
        recordedAt: '2024-01-01T00:00:00.000Z',
        prevHash: '0'.repeat(64),
        hash: 'f'.repeat(64),
      } as unknown as StoredEventOf<'VerificationStatusChanged'>;
      const r = buildClaimReview({
        claimId: 'x',
        claim: { kind: 'claim', statement: 's', speaker: { name: 'The Kremlin' }, madeAt: '2022-03-30T12:00:00Z', source: { url: 'https://a.example' }, topics: [], scope: null },
        verdictEvent: event,
        ...ORG,
      });
      expect(r.reviewRating).toEqual({ '@type': 'Rating', ratingValue: value, bestRating: 5, worstRating: 1, alternateName: status });
      expect(r.itemReviewed.author['@type']).toBe('Organization');
    }
  });
});

describe('GET / (the dashboard page and its files)', () => {
  // Reads are not public here: the page must still load, and ask for a key itself.
  it('serves the page without a key, with a strict content security policy', async () => {
    const res = await request(t.http).get('/');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expect(res.headers['content-security-policy']).toContain("script-src 'self'");
    expect(res.text).toContain('<script src="/dashboard/app.js" defer></script>');
    expect(res.text).toContain('href="/dashboard/style.css"');
    expect(res.text).toContain('<html lang="en">');

    const again = await request(t.http).get('/').set('If-None-Match', res.headers.etag);
    expect(again.status).toBe(304);
  });

  it('serves its script and stylesheet, and nothing else from the folder', async () => {
    const js = await request(t.http).get('/dashboard/app.js');
    expect(js.status).toBe(200);
    expect(js.headers['content-type']).toMatch(/^text\/javascript/);
    expect(js.text).toContain('/api/events/stream');
    const css = await request(t.http).get('/dashboard/style.css');
    expect(css.status).toBe(200);
    expect(css.headers['content-type']).toMatch(/^text\/css/);

    for (const path of ['/dashboard/secret.txt', '/dashboard/..%2Fdashboard.module.ts', '/dashboard/%2E%2E%2F%2E%2E%2Fpackage.json']) {
      const res = await request(t.http).get(path);
      expect(res.status).toBe(404);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    }
  });

  it('keeps the API behind its key', async () => {
    expect((await request(t.http).get('/api/claims')).status).toBe(401);
  });
});

describe('GET /api/claims/:id: the verdict follows the attached evidence, not only the last status change', () => {
  it('counts a piece that did not move the status', async () => {
    const c = await request(t.http).post('/api/claims').set(bearer(checker)).send(crimeaClaimBody({ statement: 'verdict follows evidence' }));
    const id = c.body.id as string;
    const add = async (body: Record<string, unknown>) => {
      const res = await request(t.http).post(`/api/claims/${id}/evidence`).set(bearer(checker)).send(body);
      expect(res.status).toBe(202);
      return res.body.evidenceId as string;
    };
    const get = async () => (await request(t.http).get(`/api/claims/${id}`).set(bearer(viewer))).body;
    const e1 = await add(evidenceBody({ stance: 'supports', reliability: 'A', credibility: 1, source: { url: 'https://one.example/a', publisher: 'One' } }));
    await waitFor(async () => (await get()).status === 'supported', 'supported');
    // S 1.0 + 0.36 = 1.36 < 1.5: still "supported", so no VerificationStatusChanged is appended.
    const e2 = await add(evidenceBody({ stance: 'supports', reliability: 'C', credibility: 3, source: { url: 'https://two.example/b', publisher: 'Two' } }));
    const view = await waitFor(async () => {
      const v = await get();
      return v.evidence.length === 2 ? v : null;
    }, 'the second piece to be attached');
    expect(view.status).toBe('supported');
    expect(view.statusHistory.map((s: { status: string }) => s.status)).toEqual(['unverified', 'supported']);
    expect(view.verdict).toEqual({ support: 1.36, contradict: 0, basis: [e1, e2].sort(), rule: 'verdict-v1' });

    // As of the first status change, the verdict is the one recorded then.
    const then = (await request(t.http).get(`/api/claims/${id}?asOf=${encodeURIComponent(view.statusHistory[1].at)}`).set(bearer(viewer))).body;
    expect(then.verdict).toEqual({ support: 1, contradict: 0, basis: [e1], rule: 'verdict-v1' });
  });
});
