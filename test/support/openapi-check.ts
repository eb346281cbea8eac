import Ajv, { type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import type { FastifyInstance } from 'fastify';

/*
 * Every answer an in-process test app gives is checked against the app's own OpenAPI document
 * (GET /docs-json): the route and status are documented, the content type is one the document
 * lists for that status, headers the document marks required are there, and a JSON body
 * validates (ajv, the document's own $refs) against the schema documented for that status and
 * type. Bodies that are not JSON (SSE, HTML, CSV, text) are checked for status and type only.
 *
 * A violation is recorded with the request that caused it; test/support/app.ts fails the test
 * that made the request (afterEach), naming the path, status and the schema error.
 */

type Json = Record<string, unknown>;
interface MediaType {
  schema?: Json;
}
interface ResponseObject {
  description?: string;
  headers?: Record<string, { required?: boolean; schema?: Json }>;
  content?: Record<string, MediaType>;
}
interface Operation {
  responses?: Record<string, ResponseObject>;
}
export interface OpenApiDoc {
  openapi: string;
  paths: Record<string, Record<string, Operation>>;
  components?: Json;
}

/** One answer, as the app sent it. `body` is null for a streamed body (SSE, downloads). */
export interface Exchange {
  method: string;
  url: string;
  /** The matched route's template (Fastify's routeOptions.url), undefined when no route matched. */
  route: string | undefined;
  status: number;
  headers: Record<string, string | string[] | number | undefined>;
  body: string | null;
}

/**
 * Routes the document leaves out on purpose: the document and Swagger UI themselves, the
 * dashboard's static files, and the queue board's own UI and JSON API under /queues/
 * (bull-board's; /queues is documented).
 */
const UNDOCUMENTED = [/^\/docs(?:-json)?(?:\/.*)?$/, /^\/dashboard\/.*/, /^\/queues\/.*/];

const DOC_ID = 'openapi';

/** Ajv per document text: compiled validators are reused by every app with the same document. */
const compiled = new Map<string, OpenApiResponseChecker>();

export class OpenApiResponseChecker {
  private readonly ajv: Ajv;
  private readonly validators = new Map<string, ValidateFunction>();

  private constructor(readonly doc: OpenApiDoc) {
    // OpenAPI 3.0 schemas are JSON Schema plus a few keywords (nullable is ajv's; example,
    // xml and the like are annotations): not strict, formats checked.
    this.ajv = new Ajv({ strict: false, allErrors: true, validateSchema: false, discriminator: true });
    addFormats(this.ajv);
    this.ajv.addSchema(doc as unknown as Json, DOC_ID);
  }

  static for(doc: OpenApiDoc): OpenApiResponseChecker {
    const key = JSON.stringify(doc);
    let checker = compiled.get(key);
    if (!checker) {
      checker = new OpenApiResponseChecker(doc);
      compiled.set(key, checker);
    }
    return checker;
  }

  /** What is wrong with this answer, or null when the document describes it. */
  check(ex: Exchange): string | null {
    if (ex.route === undefined) return null; // no route matched: the not-found/method answers are checked by their own tests
    const path = ex.route.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
    if (UNDOCUMENTED.some((re) => re.test(path))) return null;
    const where = `${ex.method} ${ex.url} (route ${path}) answered ${ex.status}`;
    const method = ex.method === 'HEAD' ? 'get' : ex.method.toLowerCase();
    const op = this.doc.paths[path]?.[method];
    if (!op) return `${where}: the OpenAPI document has no ${method.toUpperCase()} ${path}`;
    const responses = op.responses ?? {};
    const statusKey = [String(ex.status), `${String(ex.status)[0]}XX`, 'default'].find((k) => responses[k]);
    if (!statusKey) return `${where}: status ${ex.status} is not documented (documented: ${Object.keys(responses).join(', ')})`;
    const documented = responses[statusKey];
    const pointer = `#/paths/${escapePointer(path)}/${method}/responses/${statusKey}`;

    for (const [name, header] of Object.entries(documented.headers ?? {})) {
      if (header.required && header_(ex.headers, name) === undefined) return `${where}: header ${name} is required by the document (${pointer}) but missing`;
    }

    const empty = ex.body === '' || ex.method === 'HEAD' || ex.status === 204 || ex.status === 304;
    if (empty) return null;
    const contentType = String(header_(ex.headers, 'content-type') ?? '').split(';')[0].trim().toLowerCase();
    const content = documented.content ?? {};
    if (Object.keys(content).length === 0) return `${where}: the document gives no body for ${statusKey}, but the answer has one (${contentType || 'no content type'})`;
    const mediaKey = Object.keys(content).find((k) => mediaMatches(k, contentType));
    if (!mediaKey) return `${where}: content type ${contentType || '(none)'} is not documented for ${statusKey} (documented: ${Object.keys(content).join(', ')})`;
    const schema = content[mediaKey].schema;
    if (!schema || ex.body === null || !isJson(mediaKey)) return null;
    let body: unknown;
    try {
      body = JSON.parse(ex.body);
    } catch {
      return `${where}: the body is not JSON though the type is ${contentType}: ${ex.body.slice(0, 200)}`;
    }
    const schemaPointer = `${pointer}/content/${escapePointer(mediaKey)}/schema`;
    const validate = this.validator(schemaPointer);
    if (validate(body)) return null;
    const errors = (validate.errors ?? [])
      .slice(0, 5)
      .map((e) => `${e.instancePath || '(body)'} ${e.message}${e.params && Object.keys(e.params).length ? ` ${JSON.stringify(e.params)}` : ''}`)
      .join('; ');
    return `${where}: the body does not match ${schemaPointer}: ${errors}\n  body: ${ex.body.slice(0, 500)}`;
  }

  private validator(pointer: string): ValidateFunction {
    let v = this.validators.get(pointer);
    if (!v) {
      v = this.ajv.compile({ $ref: `${DOC_ID}${pointer}` });
      this.validators.set(pointer, v);
    }
    return v;
  }
}

function header_(headers: Exchange['headers'], name: string): string | string[] | number | undefined {
  const wanted = name.toLowerCase();
  for (const [k, v] of Object.entries(headers)) if (k.toLowerCase() === wanted) return v;
  return undefined;
}

function escapePointer(segment: string): string {
  return segment.replace(/~/g, '~0').replace(/\//g, '~1');
}

function mediaMatches(documented: string, actual: string): boolean {
  if (documented === '*/*' || documented === actual) return true;
  if (documented.endsWith('/*')) return actual.startsWith(documented.slice(0, -1));
  return false;
}

function isJson(mediaType: string): boolean {
  return mediaType === 'application/json' || mediaType.endsWith('+json');
}

/**
 * Installs the check on an app (before it is ready): every answer with a matched route goes
 * through `report` with the violation, if any. Returns a function that loads the document once
 * the app is ready (it is served by the app itself).
 */
export function recordResponses(fastify: FastifyInstance, report: (violation: string, ex: Exchange) => void): (doc: OpenApiDoc) => void {
  let checker: OpenApiResponseChecker | null = null;
  fastify.addHook('onSend', async (req, reply, payload) => {
    if (!checker) return payload;
    const body = typeof payload === 'string' ? payload : Buffer.isBuffer(payload) ? payload.toString('utf8') : payload == null ? '' : null;
    const ex: Exchange = {
      method: req.method,
      url: req.url,
      route: req.routeOptions?.url,
      status: reply.statusCode,
      headers: reply.getHeaders() as Exchange['headers'],
      body,
    };
    const violation = checker.check(ex);
    if (violation) report(violation, ex);
    return payload;
  });
  return (doc) => {
    checker = OpenApiResponseChecker.for(doc);
  };
}
