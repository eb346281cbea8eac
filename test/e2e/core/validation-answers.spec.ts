import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import request from 'supertest';
import { CHERNIHIV, bearer, bootApp, crimeaClaimBody, evidenceBody, pledgeBody, reportBody, type TestApp } from '../../support/app';
import { expectNothingWritten } from '../../support/http';

/*
 * Request bodies are validated by a compiled check first and by the class-validator pipe only
 * when that check does not accept them (src/common/http/compiled-validation.ts, issue 17). The
 * answers to bad bodies must stay byte for byte what the pipe alone answered: these were recorded
 * before the compiled check existed (RECORD_VALIDATION_ANSWERS=1 writes the fixture again), and
 * a valid body's stored event must not change either.
 */

const FIXTURE = join(__dirname, '../../fixtures/validation-answers.json');
const RECORD = process.env.RECORD_VALIDATION_ANSWERS === '1';

type Body = Record<string, unknown>;
const without = (body: Body, ...keys: string[]) => Object.fromEntries(Object.entries(body).filter(([k]) => !keys.includes(k)));
const longList = (n: number) => Array.from({ length: n }, (_, i) => `topic ${i}`);

/** [case, path ('{claim}' and '{evidence}' filled in), body: an object, or raw JSON text]. */
const CASES: Array<[string, string, Body | unknown[] | string]> = [
  ['evidence: empty object', '/api/claims/{claim}/evidence', {}],
  ['evidence: no source', '/api/claims/{claim}/evidence', without(evidenceBody(), 'source')],
  ['evidence: source is a string', '/api/claims/{claim}/evidence', evidenceBody({ source: 'https://example.org' })],
  ['evidence: source.url not http', '/api/claims/{claim}/evidence', evidenceBody({ source: { url: 'ftp://example.org/x' } })],
  ['evidence: source null', '/api/claims/{claim}/evidence', evidenceBody({ source: null })],
  ['evidence: places[1].lat out of range', '/api/claims/{claim}/evidence', evidenceBody({ places: [CHERNIHIV, { name: 'North', lat: 91, lon: 0 }] })],
  ['evidence: places[0].lat a string', '/api/claims/{claim}/evidence', evidenceBody({ places: [{ name: 'North', lat: '51', lon: 0 }] })],
  ['evidence: places not an array', '/api/claims/{claim}/evidence', evidenceBody({ places: { name: 'North' } })],
  ['evidence: places [null]', '/api/claims/{claim}/evidence', evidenceBody({ places: [null] })],
  ['evidence: unknown nested field', '/api/claims/{claim}/evidence', evidenceBody({ places: [{ ...CHERNIHIV, radius: 3 }] })],
  ['evidence: unknown top-level field', '/api/claims/{claim}/evidence', evidenceBody({ claimId: 'x' })],
  ['evidence: indicators with a blank and a number', '/api/claims/{claim}/evidence', evidenceBody({ indicators: ['shelling', ' ', 5] })],
  ['evidence: 101 indicators', '/api/claims/{claim}/evidence', evidenceBody({ indicators: longList(101) })],
  ['evidence: credibility 1.5', '/api/claims/{claim}/evidence', evidenceBody({ credibility: 1.5 })],
  ['evidence: credibility "2"', '/api/claims/{claim}/evidence', evidenceBody({ credibility: '2' })],
  ['evidence: stance unknown', '/api/claims/{claim}/evidence', evidenceBody({ stance: 'maybe' })],
  ['evidence: summary with a control character', '/api/claims/{claim}/evidence', evidenceBody({ summary: 'bell\u0007' })],
  ['evidence: summary with a lone surrogate', '/api/claims/{claim}/evidence', '{"stance":"supports","summary":"half \\ud800 a pair","source":{"url":"https://example.org/a"},"observedAt":"2022-03-30T08:00:00Z","reliability":"B","credibility":2}'],
  ['evidence: summary blank', '/api/claims/{claim}/evidence', evidenceBody({ summary: '\u00a0 \u3000' })],
  ['evidence: observedAt 30 February', '/api/claims/{claim}/evidence', evidenceBody({ observedAt: '2022-02-30T08:00:00Z' })],
  ['evidence: observedAt without a zone', '/api/claims/{claim}/evidence', evidenceBody({ observedAt: '2022-03-30T08:00:00' })],
  ['evidence: lat Infinity (1e999)', '/api/claims/{claim}/evidence', JSON.stringify(evidenceBody()).replace('"lat":51.4982', '"lat":1e999')],
  ['evidence: an array body', '/api/claims/{claim}/evidence', [evidenceBody()]],
  ['evidence: a string body', '/api/claims/{claim}/evidence', '"evidence"'],
  ['evidence: a null body', '/api/claims/{claim}/evidence', 'null'],
  ['report: stance is not a report field', '/api/reports', reportBody({ stance: 'supports' })],
  ['report: observedUntil null and a wrong publisher', '/api/reports', reportBody({ observedUntil: null, source: { url: 'https://example.org/a', publisher: 5 } })],
  ['claim: empty object', '/api/claims', {}],
  ['claim: speaker null', '/api/claims', crimeaClaimBody({ speaker: null })],
  ['claim: speaker an array', '/api/claims', crimeaClaimBody({ speaker: [{ name: 'X' }] })],
  ['claim: speaker without name', '/api/claims', crimeaClaimBody({ speaker: { affiliation: 'Kremlin' } })],
  ['claim: kind unknown', '/api/claims', crimeaClaimBody({ kind: 'rumour' })],
  ['claim: 51 topics', '/api/claims', crimeaClaimBody({ topics: longList(51) })],
  ['claim: topics[1] not a string', '/api/claims', crimeaClaimBody({ topics: ['Crimea', 7] })],
  ['claim: scope without places', '/api/claims', pledgeBody({ scope: without(pledgeBody().scope as Body, 'places') })],
  ['claim: scope places empty', '/api/claims', pledgeBody({ scope: { ...(pledgeBody().scope as Body), places: [] } })],
  ['claim: scope radiusKm negative', '/api/claims', pledgeBody({ scope: { ...(pledgeBody().scope as Body), places: [{ ...CHERNIHIV, radiusKm: -1 }] } })],
  ['claim: scope expectation unknown', '/api/claims', pledgeBody({ scope: { ...(pledgeBody().scope as Body), expectation: 'some' } })],
  ['claim: statement too long', '/api/claims', crimeaClaimBody({ statement: 'x'.repeat(5001) })],
  ['claim: statement of 5000 emoji is fine but 5001 is not', '/api/claims', crimeaClaimBody({ statement: '😀'.repeat(5001) })],
  ['claim: madeAt a number', '/api/claims', crimeaClaimBody({ madeAt: 1648558800000 })],
  ['retract: empty object', '/api/evidence/{evidence}/retract', {}],
  ['retract: reason a number', '/api/evidence/{evidence}/retract', { reason: 5 }],
  ['retract: unknown field', '/api/evidence/{evidence}/retract', { reason: 'wrong claim', by: 'me' }],
];

let t: TestApp;
let claimId: string;
let evidenceId: string;
const recorded: Record<string, { status: number; contentType: string; body: string } | string> = {};

beforeAll(async () => {
  t = await bootApp();
  const admin = bearer(t.adminKey);
  claimId = (await request(t.http).post('/api/claims').set(admin).send(crimeaClaimBody())).body.id;
  evidenceId = (await request(t.http).post(`/api/claims/${claimId}/evidence`).set(admin).send(evidenceBody())).body.evidenceId;
});
afterAll(async () => {
  if (RECORD) writeFileSync(FIXTURE, JSON.stringify(recorded, null, 2) + '\n');
  await t?.close();
});

function post(path: string, body: Body | unknown[] | string) {
  const req = request(t.http).post(path.replace('{claim}', claimId).replace('{evidence}', evidenceId)).set(bearer(t.adminKey));
  return typeof body === 'string' ? req.set('content-type', 'application/json').send(body) : req.send(body as object);
}

describe('answers to bad bodies are what the class-validator pipe answered', () => {
  const expected = RECORD ? {} : (JSON.parse(readFileSync(FIXTURE, 'utf8')) as Record<string, unknown>);

  it('has an answer recorded for every case', () => {
    if (!RECORD) expect(Object.keys(expected).filter((k) => !k.startsWith('stored: ')).sort()).toEqual(CASES.map(([name]) => name).sort());
  });

  it.each(CASES)('%s', async (name, path, body) => {
    const res = await expectNothingWritten(t, t.adminKey, () => post(path, body));
    const answer = { status: res.status, contentType: String(res.headers['content-type']), body: res.text };
    if (RECORD) recorded[name] = answer;
    else expect(answer).toEqual(expected[name]);
  });
});

describe('a valid body the compiled check accepts is stored as before', () => {
  const expected = RECORD ? {} : (JSON.parse(readFileSync(FIXTURE, 'utf8')) as Record<string, unknown>);

  it.each<[string, string, Body]>([
    ['stored: evidence with a null publisher, members in another order', '/api/claims/{claim}/evidence', { indicators: ['shelling'], places: [{ lon: 31.2893, name: 'Chernihiv', lat: 51.4982 }], credibility: 2, reliability: 'B', observedAt: '2022-03-30T08:00:00+03:00', source: { publisher: null, url: 'https://example.org/a' }, summary: 'Shelling near Chernihiv.', stance: 'supports' }],
    ['stored: report with places without coordinates', '/api/reports', reportBody({ places: [{ name: 'Chernihiv' }, { precisionKm: 5, lat: 51, lon: 31, name: 'North' }], observedUntil: '2022-03-31T00:00:00Z' })],
    ['stored: pledge as the seed has it', '/api/claims', pledgeBody({ statement: 'Another pledge, with its own text.' })],
  ])('%s', async (name, path, body) => {
    const res = await post(path, body);
    expect([201, 202]).toContain(res.status);
    const events = await request(t.http).get('/api/events?after=0&limit=500').set(bearer(t.adminKey)).expect(200);
    // The first event of the new stream: ours, not one a background job appended later.
    const id = (res.body.evidenceId ?? res.body.id) as string;
    const mine = (events.body.items as Array<{ type: string; streamId: string; data: Record<string, unknown> }>).find((e) => [`evidence-${id}`, `claim-${id}`].includes(e.streamId))!;
    // The event as stored (members, their order, nulls), its ids left out: they differ on every run.
    const stored = JSON.stringify({ type: mine.type, data: { ...mine.data, claimId: '(id)', evidenceId: '(id)' } });
    if (RECORD) recorded[name] = stored as never;
    else expect(stored).toBe(expected[name]);
  });
});
