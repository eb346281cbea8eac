import request from 'supertest';
import { bearer, bootApp, createKey, crimeaClaimBody, evidenceBody, type CreatedKey, type TestApp } from '../../support/app';
import { termsOutsideSchemaOrgAndOurs } from '../../support/json-ld';
import { expectProblem, snapshot } from '../../support/http';
import { Api } from '../../support/jobs';

/** Editorial reviews (WORKFLOW.md): the two-person rule, stale versions, races, ClaimReview before and after. */
describe('reviews: editors publish ratings under the two-person rule', () => {
  let t: TestApp;
  let api: Api;
  let alice: CreatedKey;
  let bob: CreatedKey;
  let checker: CreatedKey;

  beforeAll(async () => {
    t = await bootApp({ overrides: { pollIntervalMs: 50 } });
    api = new Api(t.http, t.adminKey);
    alice = await createKey(t, 'editor', 'desk editor');
    bob = await createKey(t, 'editor', 'chief editor');
    checker = await createKey(t, 'checker', 'fact checker');
  });
  afterAll(() => t.close());

  const post = (path: string, key: CreatedKey | string, body: object) =>
    request(t.http).post(path).set(bearer(typeof key === 'string' ? key : key.key)).send(body);

  async function ratedClaim(): Promise<{ id: string; version: number }> {
    const id = await api.createClaim(crimeaClaimBody());
    await api.postEvidence(id, evidenceBody());
    const view = await api.waitForStatus(id, 'contradicted');
    return { id, version: view.version };
  }

  it('proposes (editor), refuses the proposer\'s own approval (403), publishes on a second editor\'s approval', async () => {
    const { id, version } = await ratedClaim();
    const proposed = await post(`/api/claims/${id}/reviews`, alice, { rating: 'refuted', explanation: 'Crimea was invaded in 2014 and again used in 2022.', claimVersion: version });
    expect(proposed.status).toBe(201);
    expect(proposed.body).toEqual({ reviewId: expect.any(String), state: 'proposed' });
    const rid = proposed.body.reviewId;

    expectProblem(await post(`/api/claims/${id}/reviews/${rid}/approve`, alice, {}), 403);
    expectProblem(await post(`/api/claims/${id}/reviews/${rid}/approve`, checker, {}), 403);

    const approved = await post(`/api/claims/${id}/reviews/${rid}/approve`, bob, { comment: 'Checked.' });
    expect(approved.status).toBe(200);
    expect(approved.body).toMatchObject({ state: 'published' });
    // Approving twice: 409, nothing appended.
    const before = await snapshot(t, t.adminKey);
    expectProblem(await post(`/api/claims/${id}/reviews/${rid}/approve`, t.adminKey, {}), 409, 'reviewId');
    expect(await snapshot(t, t.adminKey)).toEqual(before);

    const view = await api.claim(id);
    expect(view).toMatchObject({
      status: 'contradicted',
      publishedReview: { reviewId: rid, rating: 'refuted', proposedBy: 'desk editor', approvedBy: 'chief editor', claimVersion: version, publishedAt: expect.any(String) },
      reviewOutdated: false,
    });
    const list = await request(t.http).get(`/api/claims/${id}/reviews`).set(bearer(checker.key));
    expect(list.status).toBe(200);
    expect(list.body.items).toEqual([expect.objectContaining({ reviewId: rid, state: 'published', proposedBy: 'desk editor', decidedBy: 'chief editor', comment: 'Checked.' })]);
    const events = await api.claimEvents(id);
    const published = events.find((e) => e.type === 'ReviewPublished')!;
    expect(published.metadata.actor).toMatchObject({ kind: 'api-key', id: bob.id });
  });

  it('an admin key counts as a person: it may approve an editor\'s proposal', async () => {
    const { id, version } = await ratedClaim();
    const rid = (await post(`/api/claims/${id}/reviews`, alice, { rating: 'contradicted', explanation: 'x', claimVersion: version })).body.reviewId;
    const res = await post(`/api/claims/${id}/reviews/${rid}/approve`, t.adminKey, {});
    expect(res.status).toBe(200);
  });

  it('stale versions: proposing at an old version and approving after the claim moved are 412 naming claimVersion', async () => {
    const id = await api.createClaim(crimeaClaimBody());
    expectProblem(await post(`/api/claims/${id}/reviews`, alice, { rating: 'supported', explanation: 'x', claimVersion: 2 }), 412, 'claimVersion');
    const rid = (await post(`/api/claims/${id}/reviews`, alice, { rating: 'unverifiable', explanation: 'Nothing to go on yet.', claimVersion: 1 })).body.reviewId;
    await api.postEvidence(id, evidenceBody());
    await api.waitForStatus(id, 'contradicted');
    const before = await snapshot(t, t.adminKey);
    expectProblem(await post(`/api/claims/${id}/reviews/${rid}/approve`, bob, {}), 412, 'claimVersion');
    expect(await snapshot(t, t.adminKey)).toEqual(before);
    // Rejecting still works (it publishes nothing); rejecting again is 409.
    expect((await post(`/api/claims/${id}/reviews/${rid}/reject`, bob, { comment: 'The claim changed; propose again.' })).status).toBe(200);
    expectProblem(await post(`/api/claims/${id}/reviews/${rid}/reject`, bob, { comment: 'again' }), 409);
  });

  it('concurrent approvals by two other editors: exactly one wins, the other is 409', async () => {
    const { id, version } = await ratedClaim();
    const carol = await createKey(t, 'editor', 'carol');
    const rid = (await post(`/api/claims/${id}/reviews`, alice, { rating: 'refuted', explanation: 'x', claimVersion: version })).body.reviewId;
    const answers = await Promise.all([
      post(`/api/claims/${id}/reviews/${rid}/approve`, bob, {}),
      post(`/api/claims/${id}/reviews/${rid}/approve`, carol, {}),
      post(`/api/claims/${id}/reviews/${rid}/approve`, t.adminKey, {}),
    ]);
    expect(answers.map((a) => a.status).sort()).toEqual([200, 409, 409]);
    const events = await api.claimEvents(id);
    expect(events.filter((e) => e.type === 'ReviewPublished')).toHaveLength(1);
  });

  it('ClaimReview: the machine verdict before a review, the editor\'s rating and explanation after; reviewOutdated when the status moves', async () => {
    const { id, version } = await ratedClaim();
    const before = await request(t.http).get(`/api/claims/${id}/claim-review`).set(bearer(checker.key));
    expect(before.status).toBe(200);
    const machine = JSON.parse(before.text);
    expect(machine.reviewRating).toMatchObject({ alternateName: 'contradicted', ratingValue: 2 });
    expect(machine.reviewBody).toBeUndefined();

    const rid = (await post(`/api/claims/${id}/reviews`, alice, { rating: 'refuted', explanation: 'Two independent sources.', claimVersion: version })).body.reviewId;
    await post(`/api/claims/${id}/reviews/${rid}/approve`, bob, {});
    const after = JSON.parse((await request(t.http).get(`/api/claims/${id}/claim-review`).set(bearer(checker.key))).text);
    const view = await api.claim(id);
    expect(after).toMatchObject({
      reviewRating: { alternateName: 'refuted', ratingValue: 1 },
      reviewBody: 'Two independent sources.',
      datePublished: view.publishedReview!.publishedAt,
      claimLedger: { eventType: 'ReviewPublished', status: 'contradicted', review: { reviewId: rid, rating: 'refuted', reviewOutdated: false } },
    });
    // Issue 15.7: with a review too, every term is schema.org's or ours; the public page shows the editor's rating.
    expect(await termsOutsideSchemaOrgAndOurs(after)).toEqual([]);
    const publicPage = await request(t.http).get(`/claims/${id}`).set(bearer(checker.key));
    expect(publicPage.status).toBe(200);
    expect(publicPage.text).toContain("Editor's rating: <strong>refuted</strong>");
    expect(publicPage.text).toContain('Two independent sources.');

    // New supporting evidence moves the machine status: the published review is now outdated.
    await api.postEvidence(id, evidenceBody({ stance: 'supports', source: { url: 'https://other.example/a', publisher: 'Other' }, reliability: 'A', credibility: 1 }));
    await api.waitForStatus(id, 'disputed');
    expect((await api.claim(id)).reviewOutdated).toBe(true);
  });

  it('REVIEW_REQUIRED=true: ClaimReview is 409 until a review is published', async () => {
    const strict = await bootApp({ overrides: { reviewRequired: true, pollIntervalMs: 50 } });
    try {
      const sApi = new Api(strict.http, strict.adminKey);
      const ed = await createKey(strict, 'editor', 'ed');
      const id = await sApi.createClaim(crimeaClaimBody());
      await sApi.postEvidence(id, evidenceBody());
      const view = await sApi.waitForStatus(id, 'contradicted');
      expectProblem(await request(strict.http).get(`/api/claims/${id}/claim-review`).set(bearer(strict.adminKey)), 409);
      const rid = (await request(strict.http).post(`/api/claims/${id}/reviews`).set(bearer(ed.key)).send({ rating: 'unverifiable', explanation: 'Cannot be checked.', claimVersion: view.version })).body.reviewId;
      expect((await request(strict.http).post(`/api/claims/${id}/reviews/${rid}/approve`).set(bearer(strict.adminKey)).send({})).status).toBe(200);
      const res = await request(strict.http).get(`/api/claims/${id}/claim-review`).set(bearer(strict.adminKey));
      expect(res.status).toBe(200);
      const body = JSON.parse(res.text);
      expect(body.reviewRating).toEqual({ '@type': 'Rating', bestRating: 5, worstRating: 1, alternateName: 'unverifiable' });
    } finally {
      await strict.close();
    }
  });

  it('bad input: 4xx problem+json naming the field, nothing appended', async () => {
    const { id, version } = await ratedClaim();
    const before = await snapshot(t, t.adminKey);
    expectProblem(await post(`/api/claims/${id}/reviews`, alice, { rating: 'mostly-true', explanation: 'x', claimVersion: version }), 400, 'rating');
    expectProblem(await post(`/api/claims/${id}/reviews`, alice, { rating: 'refuted', explanation: '', claimVersion: version }), 400, 'explanation');
    expectProblem(await post(`/api/claims/${id}/reviews`, alice, { rating: 'refuted', explanation: 'x'.repeat(5001), claimVersion: version }), 400, 'explanation');
    expectProblem(await post(`/api/claims/${id}/reviews`, alice, { rating: 'refuted', explanation: 'x', claimVersion: 'four' }), 400, 'claimVersion');
    expectProblem(await post(`/api/claims/00000000-0000-4000-8000-000000000000/reviews`, alice, { rating: 'refuted', explanation: 'x', claimVersion: 1 }), 404, 'id');
    expectProblem(await post(`/api/claims/${id}/reviews/00000000-0000-4000-8000-000000000000/approve`, bob, {}), 404, 'rid');
    expectProblem(await post(`/api/claims/${id}/reviews/not-a-uuid/approve`, bob, {}), 400, 'rid');
    expectProblem(await post(`/api/claims/${id}/reviews/00000000-0000-4000-8000-000000000000/reject`, bob, {}), 400, 'comment');
    expectProblem(await post(`/api/claims/${id}/reviews`, checker, { rating: 'refuted', explanation: 'x', claimVersion: version }), 403);
    expect(await snapshot(t, t.adminKey)).toEqual(before);
  });

  it('POST /api/api-keys accepts the editor role', async () => {
    const res = await request(t.http).post('/api/api-keys').set(bearer(t.adminKey)).send({ name: 'another editor', role: 'editor' });
    expect(res.status).toBe(201);
    expect(res.body.role).toBe('editor');
  });
});
