/**
 * The ClaimReview as a JSON-LD processor reads it (issue 15.7): expanded with jsonld.js, every
 * term is schema.org's or in claim-ledger's own namespace, `additionalType` is an IRI, and our
 * extension members (claimLedger, transparency and everything inside them) are ours. Also the
 * escaping the public page relies on.
 */
import { buildClaimReview } from '../../../src/claim-review/claim-review';
import { escapeHtml, jsonForScript } from '../../../src/claim-review/claim-page.html';
import { CLAIM_LEDGER_NS, PLEDGE_TYPE_IRI, withTransparencyProof } from '../../../src/claim-review/transparency-proof';
import type { ClaimRecordedData, StoredEventOf } from '../../../src/domain/events';
import { expandJsonLd, expandedTerms, termsOutsideSchemaOrgAndOurs } from '../../support/json-ld';

const BASE = 'https://ledger.factdesk.example';
const ORG = { orgName: 'Example Fact Desk', orgUrl: 'https://factdesk.example', publicBaseUrl: BASE };
const CLAIM_ID = '4f6a2b1c-9d8e-4f70-8a1b-2c3d4e5f6a7b';

function statusChange(position: number): StoredEventOf<'VerificationStatusChanged'> {
  return {
    position,
    streamId: `claim-${CLAIM_ID}`,
    streamVersion: 3,
    type: 'VerificationStatusChanged',
    data: { from: 'unverified', to: 'contradicted', support: 0.4, contradict: 1.6, basis: ['e1', 'e2'], rule: 'verdict-v1' },
    metadata: { actor: { kind: 'system', name: 't' }, correlationId: 'c', causationId: null },
    recordedAt: '2022-03-31T08:00:00.000Z',
    prevHash: '0'.repeat(64),
    hash: 'a'.repeat(64),
  } as unknown as StoredEventOf<'VerificationStatusChanged'>;
}

const pledge: ClaimRecordedData = {
  kind: 'pledge',
  statement: 'We will drastically reduce military activity near Kyiv and Chernihiv',
  speaker: { name: 'Vladimir Medinsky', affiliation: 'Russian negotiating delegation' },
  madeAt: '2022-03-29T14:00:00Z',
  source: { url: 'https://www.reuters.com/world/europe/x', publisher: 'Reuters', publishedAt: '2022-03-29T15:00:00Z' },
  topics: ['Kyiv'],
  scope: null,
};

function fullReview(claim: ClaimRecordedData = pledge) {
  const verdictEvent = statusChange(12);
  const review = buildClaimReview({ claimId: CLAIM_ID, claim, verdictEvent, ...ORG });
  return withTransparencyProof(review, {
    eventType: 'VerificationStatusChanged',
    position: 12,
    eventHash: verdictEvent.hash,
    checkpoint: { size: 20, rootHash: 'b'.repeat(64), origin: 'ledger.factdesk.example/claim-ledger' },
    proof: `${BASE}/api/claims/${CLAIM_ID}/proof`,
    vkey: 'ledger.factdesk.example/claim-ledger+0a1b2c3d+AbCd',
    vkeyUrl: `${BASE}/api/checkpoint/key`,
  });
}

describe('ClaimReview as JSON-LD', () => {
  it('expands with no term outside schema.org and claim-ledger\'s namespace', async () => {
    const doc = fullReview();
    expect(await termsOutsideSchemaOrgAndOurs(doc)).toEqual([]);
    // And the processor really saw our members as ours, not as (undefined) schema.org terms.
    const { properties, types } = expandedTerms(await expandJsonLd(doc));
    for (const ours of ['claimLedger', 'transparency', 'position', 'eventHash', 'checkpoint', 'size', 'rootHash', 'proof', 'verdictFrom', 'support', 'contradict']) {
      expect(properties).toContain(`${CLAIM_LEDGER_NS}${ours}`);
    }
    expect(properties.filter((p) => p.startsWith('http://schema.org/'))).toEqual(
      expect.arrayContaining(['http://schema.org/claimReviewed', 'http://schema.org/reviewRating', 'http://schema.org/itemReviewed', 'http://schema.org/url', 'http://schema.org/additionalType']),
    );
    expect(types).toEqual(expect.arrayContaining(['http://schema.org/ClaimReview', 'http://schema.org/Claim', 'http://schema.org/Rating']));
  });

  it('finds a term outside both (the check can fail)', async () => {
    const doc = { ...fullReview(), madeUpTerm: 1, claimLedger: undefined, ledgerRef: { position: 1 } };
    const outside = await termsOutsideSchemaOrgAndOurs(doc);
    expect(outside).toEqual(expect.arrayContaining(['http://schema.org/madeUpTerm', 'http://schema.org/ledgerRef', 'http://schema.org/position']));
  });

  it('additionalType of a pledge is an IRI (absent for a claim); url is the public page; every URL starts with PUBLIC_BASE_URL', async () => {
    const doc = fullReview();
    expect(doc.itemReviewed.additionalType).toBe(PLEDGE_TYPE_IRI);
    const expanded = (await expandJsonLd(doc)) as Array<Record<string, Array<Record<string, unknown>>>>;
    const item = expanded[0]['http://schema.org/itemReviewed'][0] as Record<string, Array<{ '@id'?: string }>>;
    expect(item['http://schema.org/additionalType']).toEqual([{ '@id': PLEDGE_TYPE_IRI }]);
    expect(new URL(PLEDGE_TYPE_IRI).protocol).toBe('urn:');
    expect(fullReview({ ...pledge, kind: 'claim' }).itemReviewed.additionalType).toBeUndefined();

    expect(doc.url).toBe(`${BASE}/claims/${CLAIM_ID}`);
    expect(doc['@id']).toBe(`${BASE}/claims/${CLAIM_ID}#claim-review`);
    expect(doc.author).toEqual({ '@type': 'Organization', name: ORG.orgName, url: ORG.orgUrl });
    for (const url of [doc.url, doc['@id'], doc.claimLedger.feed, doc.transparency.proof, doc.transparency.vkeyUrl]) expect(url.startsWith(`${BASE}/`)).toBe(true);
  });

  it('says which event the verdict numbers are taken from', () => {
    const doc = fullReview();
    expect(doc.claimLedger).toMatchObject({ support: 0.4, contradict: 1.6, basis: ['e1', 'e2'], verdictFrom: { eventType: 'VerificationStatusChanged', position: 12, hash: 'a'.repeat(64) } });
    expect(doc.transparency).toMatchObject({ eventType: 'VerificationStatusChanged', position: 12, eventHash: 'a'.repeat(64) });
  });
});

describe('escaping for the public page', () => {
  it('ld+json: no "<" survives, so "</script>" in a claim cannot end the element; the JSON means the same', () => {
    const hostile = { claimReviewed: '</script><script>alert(1)</script><!-- & \u2028' };
    const out = jsonForScript(hostile);
    expect(out).not.toMatch(/[<>&\u2028]/);
    expect(JSON.parse(out)).toEqual(hostile);
  });

  it('HTML text and attributes', () => {
    expect(escapeHtml(`<img src=x onerror="alert('1')">&`)).toBe('&lt;img src=x onerror=&quot;alert(&#39;1&#39;)&quot;&gt;&amp;');
  });
});
