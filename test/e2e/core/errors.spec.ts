import request from 'supertest';
import { BODY_LIMIT_BYTES } from '../../../src/app.factory';
import { maxHeaderSize } from 'node:http';
import { bearer, bootApp, crimeaClaimBody, evidenceBody, pledgeBody, unrelatedReportBody, type TestApp } from '../../support/app';
import { expectNothingWritten, expectProblem } from '../../support/http';

let t: TestApp;
let claimId: string;
let pledgeId: string;
let evidenceId: string;

beforeAll(async () => {
  t = await bootApp();
  const admin = bearer(t.adminKey);
  claimId = (await request(t.http).post('/api/claims').set(admin).send(crimeaClaimBody())).body.id;
  pledgeId = (await request(t.http).post('/api/claims').set(admin).send(pledgeBody())).body.id;
  evidenceId = (await request(t.http).post('/api/reports').set(admin).send(unrelatedReportBody())).body.evidenceId;
});
afterAll(async () => {
  await t?.close();
});

const scopeWith = (patch: Record<string, unknown>) => ({ ...(pledgeBody().scope as Record<string, unknown>), ...patch });

/** Sends `body` (an object, or raw text as application/json) to POST `path` as admin. */
function send(path: string, body: unknown, contentType = 'application/json') {
  const req = request(t.http).post(path).set(bearer(t.adminKey));
  if (typeof body === 'string') return req.set('content-type', contentType).send(body);
  return req.send(body as object);
}

/** A rejected write: problem+json with the status (naming the field), and the ledger head did not move. */
async function rejectedWrite(path: string, body: unknown, status: number, field?: string, contentType?: string) {
  const res = await expectNothingWritten(t, t.adminKey, () => send(path, body, contentType));
  expectProblem(res, status, field);
  return res;
}

describe('unknown routes and methods', () => {
  it.each([
    ['GET', '/api/nothing-here'],
    ['GET', '/api/claims/00000000-0000-4000-8000-000000000000/nothing'],
    ['POST', '/api/nothing-here'],
    ['DELETE', '/api/claims/00000000-0000-4000-8000-000000000000/nothing'],
  ])('%s %s is a 404 problem', async (method, path) => {
    const res = await expectNothingWritten(t, t.adminKey, () =>
      request(t.http)[method.toLowerCase() as 'get'](path).set(bearer(t.adminKey)).send(method === 'GET' ? undefined : {}),
    );
    expectProblem(res, 404);
  });

  it.each([
    ['PUT', '/api/claims', 'GET, HEAD, POST'],
    ['DELETE', '/api/claims', 'GET, HEAD, POST'],
    ['PATCH', '/api/ledger/verify', 'GET, HEAD'],
    ['POST', '/api/claims/00000000-0000-4000-8000-000000000000', 'GET, HEAD'],
    ['GET', '/api/reports', 'POST'],
    ['PUT', '/api/evidence/00000000-0000-4000-8000-000000000000/retract', 'POST'],
    ['POST', '/api/api-keys/00000000-0000-4000-8000-000000000000', 'DELETE'],
  ])('%s %s, a known path with another method, is 405 with Allow: %s', async (method, path, allow) => {
    const res = await expectNothingWritten(t, t.adminKey, () =>
      request(t.http)[method.toLowerCase() as 'get'](path).set(bearer(t.adminKey)).send(method === 'GET' ? undefined : {}),
    );
    expectProblem(res, 405);
    expect(res.headers.allow).toBe(allow);
    expect(res.body.detail).toBe(`${method} is not allowed on ${path}; use ${allow}`);
  });

  it.each(['/docs/assets/%25', '/docs/assets/%25%25', '/docs/assets/%252e%252e/%252e%252e/package.json', '/docs/assets/..%2f..%2fpackage.json'])(
    'GET %s (odd escapes under the static files) is a 404 problem, not a 500',
    async (path) => {
      expectProblem(await request(t.http).get(path), 404);
    },
  );

  it('a 404 without any key is still a problem (no 500, no HTML)', async () => {
    expectProblem(await request(t.http).get('/api/definitely/not/here'), 404);
  });
});

describe('bodies the server cannot take', () => {
  const big = JSON.stringify({ ...crimeaClaimBody(), statement: 'x'.repeat(BODY_LIMIT_BYTES) });

  it.each(['/api/claims', '/api/reports', '/api/api-keys'])('a body over 1 MiB to %s is 413', async (path) => {
    expect(Buffer.byteLength(big)).toBeGreaterThan(1024 * 1024);
    await rejectedWrite(path, big, 413);
  });

  it('a body over 1 MiB to POST /api/claims/:id/evidence is 413', async () => {
    await rejectedWrite(`/api/claims/${pledgeId}/evidence`, JSON.stringify({ ...evidenceBody(), summary: 'é'.repeat(600 * 1024) }), 413);
  });

  it('the 413 says the limit in bytes', async () => {
    const res = await rejectedWrite('/api/claims', big, 413);
    expect(res.body.detail).toBe(`body exceeds ${BODY_LIMIT_BYTES} bytes`);
    expect(BODY_LIMIT_BYTES).toBe(1048576);
  });

  it('a body just under 1 MiB is read (and then judged on its fields)', async () => {
    const body = JSON.stringify({ ...crimeaClaimBody(), statement: 'x'.repeat(BODY_LIMIT_BYTES - 1000) });
    expect(Buffer.byteLength(body)).toBeLessThan(BODY_LIMIT_BYTES);
    await rejectedWrite('/api/claims', body, 400, 'statement'); // over 5000 characters
  });

  it.each([
    ['truncated JSON', '{"kind":"claim",'],
    ['a trailing comma', '{"kind":"claim",}'],
    ['single quotes', "{'kind':'claim'}"],
    ['an empty body', ''],
    ['a bare word', 'hello'],
  ])('malformed JSON (%s) is 400 naming the body', async (_label, raw) => {
    await rejectedWrite('/api/claims', raw, 400, 'body');
  });

  it.each([
    ['an array', '[]'],
    ['a string', '"claim"'],
    ['null', 'null'],
    ['a number', '42'],
  ])('JSON that is not an object (%s) is a 400', async (_label, raw) => {
    await rejectedWrite('/api/claims', raw, 400);
  });

  it('a body that is not JSON is a 4xx problem', async () => {
    const res = await expectNothingWritten(t, t.adminKey, () => send('/api/claims', 'kind=claim', 'text/plain'));
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
    expectProblem(res, res.status);
  });

  it.each([
    ['a form body (curl -d without a type)', 'kind=claim&statement=x', 'application/x-www-form-urlencoded'],
    ['JSON sent as a form body', JSON.stringify(crimeaClaimBody()), 'application/x-www-form-urlencoded'],
    ['JSON sent as text', JSON.stringify(crimeaClaimBody()), 'text/plain'],
  ])('%s is 415 saying to send Content-Type: application/json, and writes nothing', async (_label, raw, type) => {
    const res = await rejectedWrite('/api/claims', raw, 415, undefined, type);
    expect(res.body.detail).toBe('the body must be JSON: send Content-Type: application/json');
  });

  it('a body nested 5,000 deep with an Idempotency-Key is 400 naming the body (the key is looked up after the depth check)', async () => {
    const deep = `${'{"a":'.repeat(5000)}1${'}'.repeat(5000)}`;
    const res = await expectNothingWritten(t, t.adminKey, () =>
      request(t.http).post('/api/claims').set(bearer(t.adminKey)).set('Idempotency-Key', 'deep-body-1').set('content-type', 'application/json').send(deep),
    );
    expectProblem(res, 400, 'body');
    expect(res.body.detail).toMatch(/nested more than 32 levels deep/);
  });

  it.each([
    ['__proto__', '{"__proto__":{"admin":true},"kind":"claim"}'],
    ['constructor.prototype', '{"constructor":{"prototype":{"admin":true}},"kind":"claim"}'],
  ])('prototype poisoning through %s is a 400', async (_label, raw) => {
    await rejectedWrite('/api/claims', raw, 400);
  });
});

describe('POST /api/claims: bad input is 400 naming the field, and writes nothing', () => {
  const longStatement = 'x'.repeat(5001);
  it.each<[string, Record<string, unknown>, string]>([
    // wrong types
    ['statement as a number', crimeaClaimBody({ statement: 5 }), 'statement'],
    ['kind not in the list', crimeaClaimBody({ kind: 'rumour' }), 'kind'],
    ['speaker as a string', crimeaClaimBody({ speaker: 'Dmitry Peskov' }), 'speaker'],
    ['speaker.name as a number', crimeaClaimBody({ speaker: { name: 7 } }), 'speaker.name'],
    ['topics as a string', crimeaClaimBody({ topics: 'Crimea' }), 'topics'],
    ['a topic as a number', crimeaClaimBody({ topics: ['Crimea', 3] }), 'topics[1]'],
    ['madeAt as a number', crimeaClaimBody({ madeAt: 1648630800000 }), 'madeAt'],
    ['madeAt an hour in the future', crimeaClaimBody({ madeAt: new Date(Date.now() + 60 * 60 * 1000).toISOString() }), 'madeAt'],
    ['source as a string', crimeaClaimBody({ source: 'https://example.org' }), 'source'],
    ['lat as a string', pledgeBody({ scope: scopeWith({ places: [{ name: 'Kyiv', lat: '50.45', lon: 30.52 }] }) }), 'scope.places[0].lat'],
    ['indicators as a string', pledgeBody({ scope: scopeWith({ indicators: 'shelling' }) }), 'scope.indicators'],
    ['expectation not in the list', pledgeBody({ scope: scopeWith({ expectation: 'maybe' }) }), 'scope.expectation'],
    // missing / empty / too long
    ['no statement', (({ statement: _s, ...rest }) => rest)(crimeaClaimBody()), 'statement'],
    ['a blank statement', crimeaClaimBody({ statement: '   ' }), 'statement'],
    ['an empty statement', crimeaClaimBody({ statement: '' }), 'statement'],
    ['a statement over 5000 characters', crimeaClaimBody({ statement: longStatement }), 'statement'],
    ['no speaker name', crimeaClaimBody({ speaker: { affiliation: 'Kremlin' } }), 'speaker.name'],
    ['no source url', crimeaClaimBody({ source: { publisher: 'The Moscow Times' } }), 'source.url'],
    ['no madeAt', (({ madeAt: _m, ...rest }) => rest)(crimeaClaimBody()), 'madeAt'],
    ['a scope with no places', pledgeBody({ scope: scopeWith({ places: [] }) }), 'scope.places'],
    ['a place without a name', pledgeBody({ scope: scopeWith({ places: [{ lat: 50.45, lon: 30.52 }] }) }), 'scope.places[0].name'],
    ['lat out of range', pledgeBody({ scope: scopeWith({ places: [{ name: 'Kyiv', lat: 91, lon: 30.52 }] }) }), 'scope.places[0].lat'],
    ['lon out of range', pledgeBody({ scope: scopeWith({ places: [{ name: 'Kyiv', lat: 50, lon: -181 }] }) }), 'scope.places[0].lon'],
    ['lat without lon', pledgeBody({ scope: scopeWith({ places: [{ name: 'Kyiv', lat: 50 }] }) }), 'scope.places[0]'],
    ['a negative radius', pledgeBody({ scope: scopeWith({ places: [{ name: 'Kyiv', lat: 50, lon: 30, radiusKm: -1 }] }) }), 'scope.places[0].radiusKm'],
    ['a control character in the statement', crimeaClaimBody({ statement: 'bell\u0007' }), 'statement'],
    // unknown fields
    ['an unknown top-level field', crimeaClaimBody({ verdict: 'true' }), 'verdict'],
    ['an id chosen by the client', crimeaClaimBody({ id: '00000000-0000-4000-8000-000000000001' }), 'id'],
    ['an unknown field in speaker', crimeaClaimBody({ speaker: { name: 'Dmitry Peskov', title: 'spokesman' } }), 'speaker.title'],
    ['an unknown field in source', crimeaClaimBody({ source: { url: 'https://example.org', paywall: true } }), 'source.paywall'],
    ['an unknown field in scope', pledgeBody({ scope: scopeWith({ radius: 5 }) }), 'scope.radius'],
    ['an unknown field in a scope place', pledgeBody({ scope: scopeWith({ places: [{ name: 'Kyiv', population: 3 }] }) }), 'scope.places[0].population'],
    // bad dates
    ['madeAt 2022-02-30', crimeaClaimBody({ madeAt: '2022-02-30T00:00:00Z' }), 'madeAt'],
    ['madeAt without a time zone', crimeaClaimBody({ madeAt: '2022-03-30T12:00:00' }), 'madeAt'],
    ['madeAt as a date only', crimeaClaimBody({ madeAt: '2022-03-30' }), 'madeAt'],
    ['madeAt hour 25', crimeaClaimBody({ madeAt: '2022-03-30T25:00:00Z' }), 'madeAt'],
    ['madeAt in words', crimeaClaimBody({ madeAt: 'March 30, 2022' }), 'madeAt'],
    ['source.publishedAt 2022-02-29 (not a leap year)', crimeaClaimBody({ source: { url: 'https://example.org', publishedAt: '2022-02-29T10:00:00Z' } }), 'source.publishedAt'],
    ['scope.from month 13', pledgeBody({ scope: scopeWith({ from: '2022-13-01T00:00:00Z' }) }), 'scope.from'],
    ['scope.until without a zone', pledgeBody({ scope: scopeWith({ until: '2022-04-29T00:00:00' }) }), 'scope.until'],
    ['scope.until before scope.from', pledgeBody({ scope: scopeWith({ until: '2022-03-01T00:00:00Z' }) }), 'scope.until'],
    // non-http URLs
    ['an ftp: URL', crimeaClaimBody({ source: { url: 'ftp://example.org/claims.txt' } }), 'source.url'],
    ['a javascript: URL', crimeaClaimBody({ source: { url: 'javascript:alert(1)' } }), 'source.url'],
    ['a data: URL', crimeaClaimBody({ source: { url: 'data:text/html,<b>hi</b>' } }), 'source.url'],
    ['a mailto: URL', crimeaClaimBody({ source: { url: 'mailto:desk@example.org' } }), 'source.url'],
    ['a relative URL', crimeaClaimBody({ source: { url: '/2022/03/30/article' } }), 'source.url'],
    ['not a URL', crimeaClaimBody({ source: { url: 'the moscow times' } }), 'source.url'],
    // scope only on pledges
    ['a scope on a claim', crimeaClaimBody({ scope: pledgeBody().scope }), 'scope'],
  ])('%s', async (_label, body, field) => {
    await rejectedWrite('/api/claims', body, 400, field);
  });

  it('names every bad field at once', async () => {
    const res = await rejectedWrite('/api/claims', crimeaClaimBody({ statement: '', madeAt: 'soon', source: { url: 'ftp://x' }, extra: 1 }), 400);
    const fields = res.body.errors.map((e: { field: string }) => e.field);
    expect(fields).toEqual(expect.arrayContaining(['statement', 'madeAt', 'source.url', 'extra']));
  });

  it('array items are named by index: topics[1], scope.indicators[1], scope.places[0].lat', async () => {
    const topics = await rejectedWrite('/api/claims', crimeaClaimBody({ topics: ['Crimea', 3] }), 400);
    expect(topics.body.errors).toEqual([{ field: 'topics[1]', message: 'topics[1] must be a string' }]);
    const pledge = pledgeBody({ scope: scopeWith({ indicators: ['shelling', ''], places: [{ name: 'Kyiv', lat: 91, lon: 30.52 }] }) });
    const nested = await rejectedWrite('/api/claims', pledge, 400);
    const fields = nested.body.errors.map((e: { field: string }) => e.field);
    expect(fields).toEqual(expect.arrayContaining(['scope.indicators[1]', 'scope.places[0].lat']));
    expect(fields.join(' ')).not.toMatch(/\.\d/);
    const both = await rejectedWrite('/api/claims', pledgeBody({ scope: scopeWith({ places: [{ name: 'Kyiv' }, { name: 'Irpin', lat: 50 }] }) }), 400);
    expect(both.body.errors).toEqual([{ field: 'scope.places[1]', message: 'give both lat and lon, or neither' }]);
  });

  it('a place that is an array (places: [[{…}]]) is a 400 naming the list, for evidence and for a pledge scope', async () => {
    const evidence = await rejectedWrite(`/api/claims/${claimId}/evidence`, { ...evidenceBody(), places: [[{ name: 'Chernihiv' }]] }, 400);
    expect(evidence.body.errors).toEqual([{ field: 'places', message: 'each place must be an object, not a list' }]);
    const report = await rejectedWrite('/api/reports', { ...unrelatedReportBody(), places: [{ name: 'Kyiv' }, [{ name: 'Irpin' }]] }, 400);
    expect(report.body.errors).toEqual([{ field: 'places', message: 'each place must be an object, not a list' }]);
    const pledge = await rejectedWrite('/api/claims', pledgeBody({ scope: scopeWith({ places: [[{ name: 'Kyiv' }]] }) }), 400);
    expect(pledge.body.errors).toEqual([{ field: 'scope.places', message: 'each place must be an object, not a list' }]);
  });

  it('a lone surrogate in a string is a 400 naming the field', async () => {
    const raw = JSON.stringify(crimeaClaimBody()).replace("it's part of Russia", '\\ud800 part of Russia');
    await rejectedWrite('/api/claims', raw, 400, 'statement');
  });

  it('a number too large for a double (1e400) is a 400 naming the field', async () => {
    const raw = JSON.stringify(pledgeBody()).replace('50.4501', '1e400');
    await rejectedWrite('/api/claims', raw, 400, 'scope.places[0].lat');
  });
});

describe('evidence, reports and retractions: bad input is 400 naming the field', () => {
  const future = () => new Date(Date.now() + 60 * 60 * 1000).toISOString();
  it.each<[string, () => Record<string, unknown>, string]>([
    ['no stance', () => (({ stance: _s, ...rest }) => rest)(evidenceBody()), 'stance'],
    ['a stance not in the list', () => evidenceBody({ stance: 'neutral' }), 'stance'],
    ['reliability G', () => evidenceBody({ reliability: 'G' }), 'reliability'],
    ['credibility 7', () => evidenceBody({ credibility: 7 }), 'credibility'],
    ['credibility 0', () => evidenceBody({ credibility: 0 }), 'credibility'],
    ['credibility 1.5', () => evidenceBody({ credibility: 1.5 }), 'credibility'],
    ['credibility as a string', () => evidenceBody({ credibility: '2' }), 'credibility'],
    ['a blank summary', () => evidenceBody({ summary: ' ' }), 'summary'],
    ['a summary over 5000 characters', () => evidenceBody({ summary: 'y'.repeat(5001) }), 'summary'],
    ['observedAt 2022-02-30', () => evidenceBody({ observedAt: '2022-02-30T00:00:00Z' }), 'observedAt'],
    ['observedAt without a zone', () => evidenceBody({ observedAt: '2022-03-30T08:00:00' }), 'observedAt'],
    ['observedAt an hour in the future', () => evidenceBody({ observedAt: future() }), 'observedAt'],
    ['an ftp: source', () => evidenceBody({ source: { url: 'ftp://example.org/x' } }), 'source.url'],
    ['a javascript: source', () => evidenceBody({ source: { url: 'javascript:void(0)' } }), 'source.url'],
    ['an unknown field', () => evidenceBody({ confidence: 'high' }), 'confidence'],
    ['an unknown field in a place', () => evidenceBody({ places: [{ name: 'Chernihiv', district: 'north' }] }), 'places[0].district'],
    ['places as an object', () => evidenceBody({ places: { name: 'Chernihiv' } }), 'places'],
  ])('POST /api/claims/:id/evidence with %s', async (_label, body, field) => {
    await rejectedWrite(`/api/claims/${pledgeId}/evidence`, body(), 400, field);
  });

  it.each<[string, () => Record<string, unknown>, string]>([
    ['a stance (reports have none)', () => evidenceBody(), 'stance'],
    ['observedAt in the future', () => unrelatedReportBody({ observedAt: future() }), 'observedAt'],
    ['a javascript: source', () => unrelatedReportBody({ source: { url: 'javascript:alert(1)' } }), 'source.url'],
    ['an unknown field', () => unrelatedReportBody({ claimId }), 'claimId'],
  ])('POST /api/reports with %s', async (_label, body, field) => {
    await rejectedWrite('/api/reports', body(), 400, field);
  });

  it.each<[string, unknown, string]>([
    ['no reason', {}, 'reason'],
    ['a blank reason', { reason: '' }, 'reason'],
    ['a reason as a number', { reason: 1 }, 'reason'],
    ['an unknown field', { reason: 'dup', by: 'me' }, 'by'],
  ])('POST /api/evidence/:id/retract with %s', async (_label, body, field) => {
    await rejectedWrite(`/api/evidence/${evidenceId}/retract`, body, 400, field);
  });
});

describe('malformed ids are 400 naming the id', () => {
  it.each([
    ['GET', '/api/claims/not-a-uuid'],
    ['GET', '/api/claims/12345'],
    ['GET', "/api/claims/' OR 1=1 --"],
    ['GET', '/api/claims/not-a-uuid/events'],
    ['GET', '/api/evidence/not-a-uuid'],
    ['POST', '/api/claims/not-a-uuid/evidence'],
    ['POST', '/api/evidence/not-a-uuid/retract'],
    ['DELETE', '/api/api-keys/not-a-uuid'],
  ])('%s %s', async (method, path) => {
    const body = path.endsWith('/evidence') ? evidenceBody() : path.endsWith('/retract') ? { reason: 'x' } : undefined;
    const res = await expectNothingWritten(t, t.adminKey, () => {
      const r = request(t.http)[method.toLowerCase() as 'get'](encodeURI(path)).set(bearer(t.adminKey));
      return body ? r.send(body) : r;
    });
    expectProblem(res, 400, 'id');
  });
});

describe('bad queries are 400 naming the parameter', () => {
  it.each([
    ['/api/claims?limit=0', 'limit'],
    ['/api/claims?limit=501', 'limit'],
    ['/api/claims?limit=-5', 'limit'],
    ['/api/claims?limit=ten', 'limit'],
    ['/api/claims?limit=2.5', 'limit'],
    ['/api/claims?status=bogus', 'status'],
    ['/api/claims?kind=rumour', 'kind'],
    ['/api/claims?kind=claim&kind=pledge', 'kind'],
    ['/api/claims?cursor=garbage', 'cursor'],
    [`/api/claims?cursor=${Buffer.from('{"p":-3}').toString('base64url')}`, 'cursor'],
    [`/api/claims?cursor=${Buffer.from('[1,2]').toString('base64url')}`, 'cursor'],
    ['/api/claims?sort=asc', 'sort'],
    ['/api/events?limit=0', 'limit'],
    ['/api/events?limit=501', 'limit'],
    ['/api/events?after=-1', 'after'],
    ['/api/events?after=abc', 'after'],
    ['/api/events?after=1.5', 'after'],
    // Decimal digits only, within range: Number() would take all of these.
    ['/api/events?after=0x10', 'after'],
    ['/api/events?after=1e2', 'after'],
    ['/api/events?after=', 'after'],
    ['/api/events?after=%205', 'after'],
    ['/api/events?after=99999999999999999999', 'after'],
    ['/api/events?limit=0x10', 'limit'],
    ['/api/events?limit=', 'limit'],
    ['/api/claims?limit=1e2', 'limit'],
    ['/api/claims?limit=+5', 'limit'],
  ])('GET %s', async (path, field) => {
    expectProblem(await request(t.http).get(path).set(bearer(t.adminKey)), 400, field);
  });

  it('each problem is said once: a wrong type names the type only, a missing value says "required" only', async () => {
    const limit = await request(t.http).get('/api/claims?limit=abc').set(bearer(t.adminKey));
    expectProblem(limit, 400, 'limit');
    expect(limit.body.errors).toEqual([{ field: 'limit', message: 'limit must be a whole number' }]);
    const range = await request(t.http).get('/api/claims?limit=0').set(bearer(t.adminKey));
    expect(range.body.errors).toEqual([{ field: 'limit', message: 'limit must be between 1 and 500' }]);
    const { speaker: _speaker, ...noSpeaker } = crimeaClaimBody() as Record<string, unknown>;
    const missing = await rejectedWrite('/api/claims', noSpeaker, 400, 'speaker');
    expect(missing.body.errors).toEqual([{ field: 'speaker', message: 'speaker is required' }]);
    const topics = await rejectedWrite('/api/claims', { ...crimeaClaimBody(), topics: 'crimea' }, 400, 'topics');
    expect(topics.body.errors).toHaveLength(1);
    expect(topics.body.errors[0].message).toMatch(/must be an array/);
  });

  it('GET /api/claims/:id?asOf=garbage', async () => {
    expectProblem(await request(t.http).get(`/api/claims/${claimId}?asOf=garbage`).set(bearer(t.adminKey)), 400, 'asOf');
    expectProblem(await request(t.http).get(`/api/claims/${claimId}?asOf=2022-02-30T00:00:00Z`).set(bearer(t.adminKey)), 400, 'asOf');
  });

  it('the limits themselves are accepted: limit=1 and limit=500', async () => {
    for (const path of ['/api/claims?limit=1', '/api/claims?limit=500', '/api/events?limit=1', '/api/events?limit=500', '/api/events?after=0']) {
      expect((await request(t.http).get(path).set(bearer(t.adminKey))).status).toBe(200);
    }
  });
});

describe('over-long URLs say the limit', () => {
  it('a path segment over 100 characters is 414 saying so', async () => {
    const res = await request(t.http).get(`/api/claims/${'a'.repeat(101)}`).set(bearer(t.adminKey));
    expectProblem(res, 414, 'url');
    expect(res.body.detail).toBe('a path segment is longer than 100 characters');
  });

  it.each([
    ['a long query string', () => `/api/events?after=1&x=${'a'.repeat(20_000)}`],
    ['many short path segments', () => `/api${'/abcdefghi'.repeat(2000)}`],
  ])('%s (past the 16 KiB head limit) is 414 naming the limit', async (_label, path) => {
    const res = await request(t.http).get(path()).set(bearer(t.adminKey));
    expectProblem(res, 414, 'url');
    expect(res.body.detail).toBe(`the URL is too long: the request line and headers may be at most ${maxHeaderSize} bytes together`);
  });

  it('a 20 KiB header with a short URL is still 431 (the headers are too large, not the URL)', async () => {
    const res = await request(t.http).get('/api/events').set(bearer(t.adminKey)).set('x-padding', 'a'.repeat(20_000));
    expectProblem(res, 431);
  });

  it('a long URL within the limit is routed as usual (here: 400 for the unknown parameter)', async () => {
    const res = await request(t.http).get(`/api/events?after=0&x=${'a'.repeat(9000)}`).set(bearer(t.adminKey));
    expectProblem(res, 400, 'x');
  });
});

describe('headers', () => {
  it('a malformed Idempotency-Key is 400 naming it, and writes nothing', async () => {
    for (const key of ['has space', 'tab\tkey', 'schlüssel', 'x'.repeat(256)]) {
      const res = await expectNothingWritten(t, t.adminKey, () =>
        request(t.http).post('/api/claims').set(bearer(t.adminKey)).set('Idempotency-Key', key).send(crimeaClaimBody()),
      );
      expectProblem(res, 400, 'Idempotency-Key');
    }
  });

  it('the ledger is intact after all of the above', async () => {
    const res = await request(t.http).get('/api/ledger/verify').set(bearer(t.adminKey));
    expect(res.body).toEqual({ ok: true, checked: 3, head: { position: 3, hash: expect.stringMatching(/^[0-9a-f]{64}$/) } });
  });
});
