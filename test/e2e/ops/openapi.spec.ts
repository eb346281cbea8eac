import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import request from 'supertest';
import { bearer, bootApp, createKey, evidenceBody, pledgeBody, type TestApp } from '../../support/app';
import { OpenApiResponseChecker, type OpenApiDoc } from '../../support/openapi-check';

type Operation = {
  summary?: string;
  security?: Array<Record<string, string[]>>;
  requestBody?: { content: Record<string, { schema?: { $ref?: string }; examples?: Record<string, { value: unknown }> }> };
  responses: Record<string, { content?: Record<string, { schema?: unknown; example?: unknown }> }>;
  parameters?: Array<{ name: string; in: string }>;
};
type Doc = {
  openapi: string;
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, { properties?: Record<string, { example?: unknown; enum?: unknown[] }>; required?: string[] }>; securitySchemes: Record<string, { type: string; scheme?: string }> };
};

/** Every route of the v1 contract (API.md), as OpenAPI paths. */
const CONTRACT: Array<[string, string]> = [
  ['post', '/api/claims'],
  ['get', '/api/claims'],
  ['get', '/api/claims/{id}'],
  ['get', '/api/claims/{id}/events'],
  ['get', '/api/claims/{id}/claim-review'],
  ['post', '/api/claims/{id}/evidence'],
  ['post', '/api/reports'],
  ['post', '/api/evidence/{id}/retract'],
  ['get', '/api/evidence/{id}'],
  ['post', '/api/api-keys'],
  ['delete', '/api/api-keys/{id}'],
  ['post', '/api/admin/projections/rebuild'],
  ['get', '/api/events'],
  ['get', '/api/events/stream'],
  ['get', '/api/ledger/verify'],
  // TRANSPARENCY.md
  ['get', '/api/checkpoint'],
  ['get', '/api/checkpoint/key'],
  ['get', '/api/proofs/inclusion'],
  ['get', '/api/proofs/consistency'],
  ['get', '/api/claims/{id}/proof'],
  ['post', '/api/witnesses'],
  ['post', '/api/checkpoint/cosignatures'],
  ['get', '/health'],
  ['get', '/metrics'],
  ['get', '/queues'],
  ['get', '/'],
];

describe('OpenAPI at /docs and /docs-json', () => {
  let t: TestApp;
  let doc: Doc;

  beforeAll(async () => {
    t = await bootApp();
    const res = await request(t.http).get('/docs-json');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/application\/json/);
    doc = res.body as Doc;
  });

  afterAll(async () => {
    await t?.close();
  });

  it('serves the Swagger UI and the document without a key', async () => {
    const ui = await request(t.http).get('/docs');
    expect(ui.status).toBe(200);
    expect(ui.headers['content-type']).toMatch(/text\/html/);
    expect(ui.text).toContain('swagger-ui');
    const init = await request(t.http).get('/docs/init.js');
    expect(init.status).toBe(200);
    expect(init.text).toContain('/docs-json');
    const bundle = await request(t.http).get('/docs/assets/swagger-ui-bundle.js');
    expect(bundle.status).toBe(200);
    expect(bundle.headers['content-type']).toMatch(/javascript/);
    const escape = await request(t.http).get('/docs/assets/..%2Fpackage.json');
    expect(escape.status).toBe(404);
    expect(doc.openapi).toMatch(/^3\./);
  });

  it('the Swagger UI may not be framed: X-Frame-Options DENY and frame-ancestors none (issue 16.3)', async () => {
    for (const path of ['/docs', '/docs/', '/docs/init.js', '/docs/assets/swagger-ui.css']) {
      const res = await request(t.http).get(path);
      expect({ path, status: res.status }).toEqual({ path, status: 200 });
      expect(res.headers['x-frame-options']).toBe('DENY');
      expect(res.headers['content-security-policy']).toMatch(/frame-ancestors 'none'/);
    }
    // Its files are cached for an hour, as before @fastify/static served them.
    expect((await request(t.http).get('/docs/assets/swagger-ui.css')).headers['cache-control']).toMatch(/max-age=3600/);
  });

  it('documents every route of the contract', () => {
    const missing = CONTRACT.filter(([method, path]) => !doc.paths[path]?.[method]);
    expect(missing).toEqual([]);
  });

  it('gives every operation a summary, a success answer, and problem+json errors', () => {
    const problems: string[] = [];
    for (const [path, ops] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(ops)) {
        const where = `${method.toUpperCase()} ${path}`;
        if (!op.summary) problems.push(`${where}: no summary`);
        const codes = Object.keys(op.responses ?? {});
        if (!codes.some((c) => /^2\d\d$/.test(c))) problems.push(`${where}: no 2xx answer`);
        for (const code of codes.filter((c) => /^[45]\d\d$/.test(c))) {
          const content = op.responses[code].content ?? {};
          if (!content['application/problem+json']) problems.push(`${where}: ${code} is not application/problem+json`);
        }
        if (op.security?.length) {
          if (!codes.includes('401')) problems.push(`${where}: needs a key but documents no 401`);
          if (!codes.includes('403') && path !== '/api/events/stream') problems.push(`${where}: needs a role but documents no 403`);
        }
        if (method === 'post' && op.requestBody) {
          const json = op.requestBody.content['application/json'];
          // The one text body: a witness's cosigned checkpoint (a C2SP signed note, TRANSPARENCY.md).
          const text = op.requestBody.content['text/plain'];
          // And the import files (text/csv, application/x-ndjson), streamed to disk as they are.
          const file = op.requestBody.content['text/csv'];
          const isText = (text?.schema as { type?: string } | undefined)?.type === 'string' && path === '/api/checkpoint/cosignatures';
          const isFile = (file?.schema as { type?: string } | undefined)?.type === 'string' && path === '/api/imports';
          if (!json?.schema?.$ref && !isText && !isFile) problems.push(`${where}: body has no schema`);
          for (const code of ['400', '413', '415']) if (!codes.includes(code)) problems.push(`${where}: no ${code}`);
        }
      }
    }
    expect(problems).toEqual([]);
  });

  it('declares bearer auth, and public routes need none', () => {
    expect(doc.components.securitySchemes['api-key']).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(doc.paths['/api/claims'].post.security).toEqual([{ 'api-key': [] }]);
    for (const path of ['/health', '/metrics']) expect(doc.paths[path].get.security).toEqual([]);
  });

  it('describes bodies from the DTOs, with the seed scenario as examples', () => {
    const claim = doc.components.schemas.CreateClaimDto;
    expect(Object.keys(claim.properties ?? {}).sort()).toEqual(['kind', 'madeAt', 'scope', 'source', 'speaker', 'statement', 'topics'].sort());
    expect(claim.required?.sort()).toEqual(['kind', 'madeAt', 'source', 'speaker', 'statement'].sort());
    expect(claim.properties?.kind.enum).toEqual(['claim', 'pledge']);
    const evidence = doc.components.schemas.EvidenceDto;
    expect(Object.keys(evidence.properties ?? {})).toEqual(
      expect.arrayContaining(['stance', 'summary', 'source', 'observedAt', 'reliability', 'credibility', 'places', 'indicators']),
    );
    expect(doc.components.schemas.ReportDto.properties?.stance).toBeUndefined();
    expect(doc.components.schemas.ProblemSchema.required).toEqual(expect.arrayContaining(['type', 'title', 'status', 'detail']));

    const examples = doc.paths['/api/claims'].post.requestBody!.content['application/json'].examples!;
    expect(JSON.stringify(examples.pledge.value)).toContain('radically reduce military activity');
    expect(JSON.stringify(examples.claim.value)).toContain('Crimea');
    const text = JSON.stringify(doc);
    for (const fragment of ['Vladimir Medinsky', 'Dmitry Peskov', 'Chernihiv', 'themoscowtimes.com']) expect(text).toContain(fragment);
  });

  it('documents the error answers with problem examples', () => {
    const res = doc.paths['/api/claims/{id}/evidence'].post.responses;
    expect(Object.keys(res)).toEqual(expect.arrayContaining(['202', '400', '401', '403', '404', '409', '412', '413', '415']));
    expect(res['412'].content!['application/problem+json'].example).toMatchObject({ status: 412, title: 'Precondition Failed' });
    expect(doc.paths['/api/claims/{id}/evidence'].post.parameters?.map((p) => p.name)).toEqual(
      expect.arrayContaining(['id', 'If-Match', 'Idempotency-Key']),
    );
    expect(doc.paths['/health'].get.responses['503'].content!['application/problem+json']).toBeDefined();
  });

  it('matches the answers the API really gives (a spot check)', async () => {
    const res = await request(t.http).post('/api/claims').set('Authorization', `Bearer ${t.adminKey}`).send({ kind: 'nonsense' });
    expect(res.status).toBe(400);
    expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
    const schema = doc.components.schemas.ProblemSchema;
    for (const key of schema.required ?? []) expect(res.body).toHaveProperty(key);
  });
});

type Schema = Record<string, unknown>;
type FullDoc = Doc & {
  info: { license?: { name: string; url?: string } };
  servers?: Array<{ url: string }>;
  paths: Record<string, Record<string, Operation & { responses: Record<string, { headers?: Record<string, { required?: boolean; schema?: Schema }> }> }>>;
};

/** The document's schema for one parameter of one operation. */
function parameterSchema(doc: FullDoc, method: string, path: string, name: string): { pattern: string; minLength?: number; maxLength?: number } {
  const p = (doc.paths[path][method].parameters as unknown as Array<{ name: string; schema: Schema }>).find((x) => x.name === name);
  if (!p) throw new Error(`${method} ${path} has no parameter ${name}`);
  return p.schema as { pattern: string; minLength?: number; maxLength?: number };
}

function allows(schema: { pattern: string; minLength?: number; maxLength?: number }, value: string): boolean {
  const length = [...value].length;
  if (schema.minLength !== undefined && length < schema.minLength) return false;
  if (schema.maxLength !== undefined && length > schema.maxLength) return false;
  return new RegExp(schema.pattern, 'u').test(value);
}

describe('The OpenAPI document says what the server accepts (issue 15 item 6)', () => {
  let t: TestApp;
  let doc: FullDoc;
  let dir: string;

  beforeAll(async () => {
    t = await bootApp();
    doc = (await request(t.http).get('/docs-json')).body as FullDoc;
    dir = mkdtempSync(join(tmpdir(), 'cl-openapi-'));
  });

  afterAll(async () => {
    await t?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('passes Redocly\'s recommended rules and the OpenAPI JSON Schema: no errors, no warnings', async () => {
    const file = join(dir, 'openapi.json');
    writeFileSync(file, JSON.stringify(doc));
    const { stdout } = await promisify(execFile)(process.execPath, [join(__dirname, '../../support/lint-openapi.mjs'), file], { maxBuffer: 16 << 20 });
    const report = JSON.parse(stdout) as { schemaValid: boolean; schemaErrors: unknown[]; lint: Array<{ severity: string; rule: string; message: string; at?: string }> };
    expect(report.schemaErrors).toEqual([]);
    expect(report.schemaValid).toBe(true);
    expect(report.lint.map((p) => `${p.severity} ${p.rule} ${p.at}: ${p.message}`)).toEqual([]);
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.info.license).toEqual({ name: 'MIT', url: 'https://opensource.org/licenses/MIT' });
    expect(doc.servers).toEqual([expect.objectContaining({ url: '/' })]);
  });

  it('refuses unknown fields in every JSON request body (additionalProperties: false on each object)', () => {
    const open: string[] = [];
    const schemas = doc.components.schemas as Record<string, Schema>;
    const seen = new Set<string>();
    const walk = (s: Schema | undefined, where: string): void => {
      if (!s) return;
      if (typeof s.$ref === 'string') {
        const name = s.$ref.split('/').pop()!;
        if (seen.has(name)) return;
        seen.add(name);
        return walk(schemas[name], name);
      }
      if (s.properties && s.additionalProperties !== false) open.push(where);
      for (const [k, v] of Object.entries((s.properties as Record<string, Schema>) ?? {})) walk(v, `${where}.${k}`);
      walk(s.items as Schema | undefined, `${where}[]`);
      for (const key of ['allOf', 'anyOf', 'oneOf']) for (const c of (s[key] as Schema[] | undefined) ?? []) walk(c, where);
    };
    let bodies = 0;
    for (const [path, ops] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(ops)) {
        const json = op.requestBody?.content['application/json'];
        if (!json?.schema) continue;
        bodies++;
        walk(json.schema as Schema, `${method.toUpperCase()} ${path}`);
      }
    }
    expect(bodies).toBeGreaterThanOrEqual(8);
    expect(open).toEqual([]);
  });

  it('documents 429 with Retry-After on every route behind a key, and security: [] on the public ones', () => {
    const problems: string[] = [];
    for (const [path, ops] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(ops)) {
        const where = `${method.toUpperCase()} ${path}`;
        if (!op.security) problems.push(`${where}: no security (public routes say security: [])`);
        else if (op.security.length > 0 && path !== '/queues') {
          const tooMany = op.responses['429'];
          if (!tooMany) problems.push(`${where}: no 429`);
          else if (!tooMany.headers?.['Retry-After']?.required) problems.push(`${where}: 429 without a required Retry-After`);
        }
      }
    }
    expect(problems).toEqual([]);
    expect(doc.paths['/health'].get.security).toEqual([]);
    expect(doc.paths['/api/claims'].get.security).toEqual([{ 'api-key': [] }]);
  });

  it('gives the string rules the validators enforce: lengths, no control characters, URL, date-time', () => {
    const claim = doc.components.schemas.CreateClaimDto as unknown as { properties: Record<string, Schema> };
    expect(claim.properties.statement).toMatchObject({ minLength: 1, maxLength: 5000, pattern: expect.any(String) });
    const pattern = new RegExp(claim.properties.statement.pattern as string, 'u');
    expect(pattern.test('A pledge')).toBe(true);
    expect(pattern.test('tab\\tand\\nnewline ok'.replace('\\t', '\t').replace('\\n', '\n'))).toBe(true);
    for (const bad of ['nul\u0000', 'bell\u0007', 'del\u007f', '   ']) expect(pattern.test(bad)).toBe(false);
    expect((claim.properties.topics as { items: Schema }).items).toMatchObject({ type: 'string', minLength: 1, maxLength: 100 });
    expect(claim.properties.madeAt).toMatchObject({ format: 'date-time' });
    expect((doc.components.schemas.SourceDto as unknown as { properties: Record<string, Schema> }).properties.url).toMatchObject({ format: 'uri', maxLength: 2048 });
    expect(parameterSchema(doc, 'get', '/api/claims', 'cursor')).toMatchObject({ minLength: 1, maxLength: 100, pattern: expect.any(String) });
  });

  it('documents Idempotency-Key and If-Match exactly as the server reads them (checked against real answers)', async () => {
    const writer = await createKey(t, 'checker');
    const idem = parameterSchema(doc, 'post', '/api/claims', 'Idempotency-Key');
    const keys = ['k', 'pledge-medinsky-2022-03-29', '~!"#$%&()*+,-./:;<=>?@[]^_`{|}', 'x'.repeat(255), 'x'.repeat(256), 'a b', 'clé', 'tab\tkey', ''];
    for (const key of keys) {
      const res = await request(t.http).post('/api/claims').set(bearer(writer.key)).set('Idempotency-Key', key).send(pledgeBody());
      const accepted = res.status === 201;
      expect({ key, accepted, documented: allows(idem, key) }).toEqual({ key, accepted: allows(idem, key), documented: allows(idem, key) });
      if (!accepted) expect(res.status).toBe(400);
    }
    const created = await request(t.http).post('/api/claims').set(bearer(writer.key)).send(pledgeBody());
    expect(created.status).toBe(201);
    const ifMatch = parameterSchema(doc, 'post', '/api/claims/{id}/evidence', 'If-Match');
    for (const value of ['"1"', 'W/"1"', ' "1" ', '1', '"one"', '"1', '*', '"1234567890123456"']) {
      const res = await request(t.http).post(`/api/claims/${created.body.id}/evidence`).set(bearer(writer.key)).set('If-Match', value).send(evidenceBody());
      // Accepted (202) or refused for the version (412): the server read the header; 400: it did not.
      const read = res.status !== 400;
      expect({ value, read }).toEqual({ value, read: allows(ifMatch, value) });
    }
  });
});

describe('the e2e answer check (test/support/openapi-check.ts) refuses answers outside the document', () => {
  let t: TestApp;
  let checker: OpenApiResponseChecker;

  beforeAll(async () => {
    t = await bootApp();
    checker = OpenApiResponseChecker.for((await request(t.http).get('/docs-json')).body as OpenApiDoc);
  });

  afterAll(async () => {
    await t?.close();
  });

  const claimId = '3f6c2a54-8d0e-4b1a-9c57-2e4f1d9a7b10';
  const answer = (over: Record<string, unknown>) => ({
    method: 'GET',
    url: `/api/claims/${claimId}`,
    route: '/api/claims/:id',
    status: 404,
    headers: { 'content-type': 'application/problem+json; charset=utf-8' },
    body: JSON.stringify({ type: 'urn:x', title: 'Not Found', status: 404, detail: 'no claim' }),
    ...over,
  });

  it('passes a documented answer and names path, status and schema error for one that is not', async () => {
    expect(checker.check(answer({}))).toBeNull();
    expect(checker.check(answer({ status: 418 }))).toMatch(/GET \/api\/claims\/3f6c.* \(route \/api\/claims\/\{id\}\) answered 418: status 418 is not documented/);
    expect(checker.check(answer({ headers: { 'content-type': 'text/html' } }))).toMatch(/content type text\/html is not documented for 404/);
    expect(checker.check(answer({ body: JSON.stringify({ title: 'Not Found', status: '404' }) }))).toMatch(
      /answered 404: the body does not match #\/paths\/~1api~1claims~1\{id\}\/get\/responses\/404\/content\/application~1problem\+json\/schema: .*(required|must be)/,
    );
    expect(checker.check(answer({ method: 'PUT' }))).toMatch(/the OpenAPI document has no PUT \/api\/claims\/\{id\}/);
    expect(checker.check(answer({ status: 429, headers: { 'content-type': 'application/problem+json' } }))).toMatch(/header Retry-After is required/);
    expect(checker.check(answer({ route: undefined, status: 404 }))).toBeNull(); // no route matched: not the document's business
  });

  it('checks a real answer of the app: its view validates against the claim view schema', async () => {
    const created = await request(t.http).post('/api/claims').set(bearer(t.adminKey)).send(pledgeBody());
    const view = await request(t.http).get(`/api/claims/${created.body.id}`).set(bearer(t.adminKey));
    const real = { method: 'GET', url: `/api/claims/${created.body.id}`, route: '/api/claims/:id', status: 200, headers: view.headers, body: view.text };
    expect(checker.check(real)).toBeNull();
    const broken = { ...JSON.parse(view.text), publishedReview: 'not an object', version: '1' };
    expect(checker.check({ ...real, body: JSON.stringify(broken) })).toMatch(/\/version must be integer|\/version must be number/);
  });
});
