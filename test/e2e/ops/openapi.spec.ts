import request from 'supertest';
import { bootApp, type TestApp } from '../../support/app';

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
        if (op.security) {
          if (!codes.includes('401')) problems.push(`${where}: needs a key but documents no 401`);
          if (!codes.includes('403') && path !== '/api/events/stream') problems.push(`${where}: needs a role but documents no 403`);
        }
        if (method === 'post' && op.requestBody) {
          const json = op.requestBody.content['application/json'];
          // The one text body: a witness's cosigned checkpoint (a C2SP signed note, TRANSPARENCY.md).
          const text = op.requestBody.content['text/plain'];
          if (!json?.schema?.$ref && !((text?.schema as { type?: string } | undefined)?.type === 'string' && path === '/api/checkpoint/cosignatures')) problems.push(`${where}: body has no schema`);
          for (const code of ['400', '413', '415']) if (!codes.includes(code)) problems.push(`${where}: no ${code}`);
        }
      }
    }
    expect(problems).toEqual([]);
  });

  it('declares bearer auth, and public routes need none', () => {
    expect(doc.components.securitySchemes['api-key']).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(doc.paths['/api/claims'].post.security).toEqual([{ 'api-key': [] }]);
    for (const path of ['/health', '/metrics']) expect(doc.paths[path].get.security).toBeUndefined();
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
