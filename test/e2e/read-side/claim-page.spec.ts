/**
 * GET /claims/:id (issue 15.7): the claim's public, server-rendered page with its ClaimReview
 * embedded as <script type="application/ld+json">: the same document as
 * GET /api/claims/:id/claim-review, the proof numbers the claim view agrees with, a strict CSP,
 * 404/400 as HTML or problem+json per Accept, and a hostile claim text kept as text.
 */
import request from 'supertest';
import { bearer, bootApp, createKey, crimeaClaimBody, evidenceBody, type TestApp } from '../../support/app';
import { termsOutsideSchemaOrgAndOurs } from '../../support/json-ld';
import { waitFor } from './helpers';

const ORG = { orgName: 'Example Fact Desk', orgUrl: 'https://factdesk.example', publicBaseUrl: 'https://ledger.factdesk.example' };
const UNKNOWN = '00000000-0000-4000-8000-000000000000';

let t: TestApp;
let checker: string;
let viewer: string;

beforeAll(async () => {
  t = await bootApp({ overrides: { ...ORG, pollIntervalMs: 20, checkpointIntervalMs: 50 } });
  checker = (await createKey(t, 'checker')).key;
  viewer = (await createKey(t, 'viewer')).key;
});

afterAll(async () => {
  await t?.close();
});

const page = (id: string, accept = 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8') =>
  request(t.http).get(`/claims/${id}`).set(bearer(viewer)).set('accept', accept);

async function newClaim(body: Record<string, unknown>): Promise<string> {
  const res = await request(t.http).post('/api/claims').set(bearer(checker)).send(body);
  expect(res.status).toBe(201);
  return res.body.id as string;
}

/** A claim contradicted by one piece of evidence, once a signed checkpoint covers its verdict. */
async function ratedClaim(body: Record<string, unknown>) {
  const id = await newClaim(body);
  const ev = await request(t.http).post(`/api/claims/${id}/evidence`).set(bearer(checker)).send(evidenceBody({ stance: 'contradicts' }));
  expect(ev.status).toBe(202);
  await waitFor(async () => {
    const res = await request(t.http).get(`/api/claims/${id}/claim-review`).set(bearer(viewer));
    return res.status === 200 && JSON.parse(res.text).transparency?.checkpoint ? true : null;
  }, `claim ${id} rated, its verdict in a signed checkpoint`);
  return id;
}

/** The contents of every <script> element of a page, with its opening tag. */
function scripts(html: string): Array<{ tag: string; body: string }> {
  return [...html.matchAll(/(<script\b[^>]*>)([\s\S]*?)<\/script>/gi)].map((m) => ({ tag: m[1], body: m[2] }));
}

describe('GET /claims/:id: the public page of a claim', () => {
  it('embeds the ClaimReview as application/ld+json: it parses, equals GET /api/claims/:id/claim-review, and expands to schema.org and our terms only', async () => {
    const id = await ratedClaim(crimeaClaimBody());
    const res = await page(id);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    const csp = res.headers['content-security-policy'];
    expect(csp).toMatch(/default-src 'none'/);
    expect(csp).toMatch(/script-src 'none'/);
    expect(csp).not.toMatch(/unsafe-inline|unsafe-eval/);
    expect(res.headers['x-content-type-options']).toBe('nosniff');

    const found = scripts(res.text);
    expect(found).toHaveLength(1);
    expect(found[0].tag).toBe('<script type="application/ld+json">');
    const embedded = JSON.parse(found[0].body);
    const api = await request(t.http).get(`/api/claims/${id}/claim-review`).set(bearer(viewer));
    expect(api.status).toBe(200);
    expect(embedded).toEqual(JSON.parse(api.text));
    expect(embedded.url).toBe(`${ORG.publicBaseUrl}/claims/${id}`);
    expect(res.text).toContain(`<link rel="canonical" href="${ORG.publicBaseUrl}/claims/${id}">`);
    expect(await termsOutsideSchemaOrgAndOurs(embedded)).toEqual([]);
  });

  it('shows the claim, its speaker, status with reasons, the evidence and the proof numbers, which agree with the claim view', async () => {
    const body = crimeaClaimBody() as { statement: string; speaker: { name: string } };
    const id = await ratedClaim(crimeaClaimBody());
    const view = (await request(t.http).get(`/api/claims/${id}`).set(bearer(viewer))).body;
    const review = JSON.parse((await request(t.http).get(`/api/claims/${id}/claim-review`).set(bearer(viewer))).text);
    const html = (await page(id)).text;

    expect(html).toContain(body.statement.replace(/'/g, '&#39;'));
    expect(html).toContain(body.speaker.name);
    expect(html).toMatch(/Status: <span class="status status-contradicted">contradicted<\/span>/);
    expect(html).toContain(`support ${view.verdict.support}, contradiction ${view.verdict.contradict} (rule ${view.verdict.rule})`);
    expect(html).toContain(`id="evidence-${view.evidence[0].evidenceId}"`);

    // The proof numbers: the verdict event is the view's last status change, in a signed checkpoint.
    const lastChange = view.statusHistory[view.statusHistory.length - 1];
    expect(review.transparency.position).toBe(lastChange.position);
    expect(review.claimLedger.verdictFrom).toEqual({ eventType: 'VerificationStatusChanged', position: lastChange.position, hash: review.transparency.eventHash });
    expect(html).toContain(`<dd id="proof-position">#${lastChange.position} (VerificationStatusChanged)</dd>`);
    expect(html).toContain(`<code id="proof-hash">${review.transparency.eventHash}</code>`);
    expect(html).toContain(`tree size ${review.transparency.checkpoint.size}, root <code>${review.transparency.checkpoint.rootHash}</code>`);
    expect(html).toContain(`href="${ORG.publicBaseUrl}/api/claims/${id}/proof"`);
    expect(html).toContain(`version ${view.version}, hash <code>${view.head.hash}</code>`);
  });

  it('an unrated claim has a page without ld+json, saying why', async () => {
    const id = await newClaim(crimeaClaimBody({ statement: 'A claim nobody has checked yet' }));
    const res = await page(id);
    expect(res.status).toBe(200);
    expect(scripts(res.text)).toHaveLength(0);
    expect(res.text).toContain('A claim nobody has checked yet');
    expect(res.text).toMatch(/is not yet rated/);
  });

  it('keeps a hostile claim text as text: escaped in the HTML, \\u003c in the ld+json, no element breaks out', async () => {
    const statement = `Nothing to see</script><script>alert("x")</script><img src=x onerror=alert(1)> & <!-- '"`;
    const id = await ratedClaim(crimeaClaimBody({ statement, speaker: { name: '<b>Mallory</b>' } }));
    const res = await page(id);
    expect(res.status).toBe(200);
    const found = scripts(res.text);
    expect(found).toHaveLength(1); // only the ld+json: the claim's "<script>" is not an element
    expect(found[0].body).not.toContain('<');
    expect(JSON.parse(found[0].body).claimReviewed).toBe(statement);
    expect(res.text).not.toContain('<img src=x');
    expect(res.text).not.toContain('<b>Mallory</b>');
    expect(res.text).toContain('Nothing to see&lt;/script&gt;&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt; &amp; &lt;!-- &#39;&quot;');
    expect(res.text).toContain('&lt;b&gt;Mallory&lt;/b&gt;');
  });

  it('an unknown id is a 404 page for a browser and problem+json for an API client; a bad id likewise 400', async () => {
    const html = await page(UNKNOWN);
    expect(html.status).toBe(404);
    expect(html.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(html.text).toContain(`no claim with id ${UNKNOWN}`);
    expect(html.headers['content-security-policy']).toMatch(/default-src 'none'/);

    const json = await page(UNKNOWN, 'application/json');
    expect(json.status).toBe(404);
    expect(json.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(json.body).toMatchObject({ status: 404, detail: `no claim with id ${UNKNOWN}` });
    expect((await page(UNKNOWN, 'application/problem+json, text/html;q=0.5')).headers['content-type']).toMatch(/^application\/problem\+json/);
    expect((await page(UNKNOWN, '*/*')).headers['content-type']).toMatch(/^text\/html/);

    const bad = await page('not-a-uuid');
    expect(bad.status).toBe(400);
    expect(bad.text).toContain('id must be a UUID');
    const badJson = await page('not-a-uuid', 'application/json');
    expect(badJson.status).toBe(400);
    expect(badJson.body.errors[0].field).toBe('id');
  });

  it('is read access, like the ClaimReview route: no key is 401 while reads are not public', async () => {
    const id = await newClaim(crimeaClaimBody());
    const res = await request(t.http).get(`/claims/${id}`);
    expect(res.status).toBe(401);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  });
});
