import type { OpenAPIObject } from '@nestjs/swagger';
import { getMetadataStorage } from 'class-validator';

/*
 * What the generated document says beyond the decorators, so that it says what the server
 * accepts and answers (issue 15 item 6), checked by test/e2e/ops/openapi.spec.ts and by every
 * in-process e2e answer (test/support/openapi-check.ts):
 * - the string rules the DTOs' validators enforce (IsText, IsHttpUrl, IsIsoDateTime, Matches,
 *   lengths, bounds), read from class-validator's own metadata, so the two cannot drift;
 * - `additionalProperties: false` on every request body object (the validation pipe refuses
 *   unknown fields);
 * - `security: []` on the routes that need no key;
 * - the body parser's 400/413/415 on every route that reads a body;
 * - OpenAPI 3.1 nullability: @nestjs/swagger writes 3.0's `nullable`, which cannot make a
 *   `$ref`/`allOf` null; 3.1 says `anyOf: [..., {type: 'null'}]` and `type: [T, 'null']`.
 */

type Schema = Record<string, unknown>;

const SWAGGER_PROPERTY = 'swagger/apiModelProperties';

/**
 * IsText (src/common/http/validation.ts) as a JSON Schema pattern: no control characters but
 * tab, line feed and carriage return, and not blank.
 */
export const TEXT_PATTERN = '^(?!\\s*$)[^\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F]*$';
/** IsHttpUrl: an absolute http(s) URL (the server parses it as a WHATWG URL besides). */
export const HTTP_URL_PATTERN = '^[Hh][Tt][Tt][Pp][Ss]?://';

/** The schema keywords one class-validator rule stands for (undefined: none it can say). */
function keywordsFor(name: string | undefined, type: string, constraints: unknown[]): Schema | undefined {
  switch (name ?? type) {
    case 'isText': {
      const [min, max] = constraints as [number, number];
      return { type: 'string', minLength: min, maxLength: max, ...(min > 0 ? { pattern: TEXT_PATTERN } : {}) };
    }
    case 'isHttpUrl':
      return { type: 'string', format: 'uri', maxLength: 2048, pattern: HTTP_URL_PATTERN };
    case 'isIsoDateTime':
      return { type: 'string', format: 'date-time', maxLength: 40 };
    case 'matches': {
      const re = constraints[0];
      // JSON Schema patterns are ECMA-262 with the u flag (ajv); other flags change the meaning.
      return re instanceof RegExp && (re.flags === '' || re.flags === 'u') ? { type: 'string', pattern: re.source } : undefined;
    }
    case 'maxLength':
      return { maxLength: constraints[0] };
    case 'minLength':
      return { minLength: constraints[0] };
    case 'min':
      return { minimum: constraints[0] };
    case 'max':
      return { maximum: constraints[0] };
    case 'arrayMinSize':
      return { minItems: constraints[0] };
    case 'arrayMaxSize':
      return { maxItems: constraints[0] };
    case 'arrayUnique':
      return { uniqueItems: true };
    case 'isInt':
      return { type: 'integer' };
    default:
      return undefined;
  }
}

interface ValidationRule {
  target: Function | string;
  propertyName: string;
  name?: string;
  type: string;
  constraints: unknown[];
  each: boolean;
}

/**
 * Copies each DTO property's validator rules into its @ApiProperty metadata (keywords the
 * decorator sets itself win; `each` rules go to the items). Runs before the document is built;
 * idempotent, so several apps in one process may build documents.
 */
export function documentValidatorRules(): void {
  const storage = getMetadataStorage() as unknown as { validationMetadatas?: Map<Function, ValidationRule[]> };
  if (!(storage.validationMetadatas instanceof Map)) throw new Error('class-validator metadata storage has changed shape: update document-rules.ts');
  for (const [target, rules] of storage.validationMetadatas) {
    if (typeof target !== 'function') continue;
    for (const rule of rules) {
      const keywords = keywordsFor(rule.name, rule.type, rule.constraints ?? []);
      if (!keywords) continue;
      const proto = target.prototype as object;
      const existing = Reflect.getOwnMetadata(SWAGGER_PROPERTY, proto, rule.propertyName) as Schema | undefined;
      if (!existing) continue; // a property the document does not show
      const isArray = Array.isArray(existing.type) || existing.isArray === true;
      if (rule.each && isArray) {
        const items = { ...((existing.items as Schema | undefined) ?? {}) };
        for (const [k, v] of Object.entries(keywords)) if (items[k] === undefined) items[k] = v;
        Reflect.defineMetadata(SWAGGER_PROPERTY, { ...existing, items }, proto, rule.propertyName);
      } else if (!rule.each) {
        const merged: Schema = { ...existing };
        for (const [k, v] of Object.entries(keywords)) if (merged[k] === undefined && k !== 'type') merged[k] = v;
        if (keywords.type === 'integer' && (merged.type === Number || merged.type === 'number')) merged.type = 'integer';
        Reflect.defineMetadata(SWAGGER_PROPERTY, merged, proto, rule.propertyName);
      }
    }
  }
}

/**
 * What the body parser answers on any route that reads a body (Fastify parses one for POST, PUT,
 * PATCH and DELETE before the handler runs, whether the route wants one or not).
 */
const BODY_PARSER_PROBLEMS: Record<string, string> = {
  '400': 'The body is not valid JSON, or nests too deep',
  '413': 'The body is larger than the limit (1 MiB)',
  '415': 'The body is not JSON: send Content-Type: application/json (or no body)',
};

/** The rules above that apply to the generated document itself. */
export function refineDocument(doc: OpenAPIObject): OpenAPIObject {
  closeRequestBodies(doc);
  for (const ops of Object.values(doc.paths)) {
    for (const [method, op] of Object.entries(ops as Record<string, Schema>)) {
      if (!['get', 'put', 'post', 'delete', 'patch', 'head', 'options'].includes(method)) continue;
      if (op.security === undefined) op.security = []; // public: no key
      if (['post', 'put', 'patch', 'delete'].includes(method)) {
        const responses = (op.responses ?? (op.responses = {})) as Record<string, unknown>;
        for (const [status, description] of Object.entries(BODY_PARSER_PROBLEMS)) {
          responses[status] ??= { description, content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/ProblemSchema' } } } };
        }
      }
    }
  }
  toOpenApi31(doc);
  return doc;
}

function resolve(doc: OpenAPIObject, schema: Schema): Schema {
  const ref = schema.$ref;
  if (typeof ref !== 'string' || !ref.startsWith('#/components/schemas/')) return schema;
  return ((doc.components?.schemas ?? {}) as Record<string, Schema>)[ref.slice('#/components/schemas/'.length)] ?? schema;
}

/** additionalProperties: false on every object a JSON request body holds (not already set). */
function closeRequestBodies(doc: OpenAPIObject): void {
  const seen = new Set<Schema>();
  const close = (s: Schema | undefined): void => {
    if (!s || typeof s !== 'object') return;
    const schema = resolve(doc, s);
    if (seen.has(schema)) return;
    seen.add(schema);
    if (schema.properties && schema.additionalProperties === undefined) schema.additionalProperties = false;
    for (const child of Object.values((schema.properties as Record<string, Schema>) ?? {})) close(child);
    close(schema.items as Schema | undefined);
    for (const key of ['allOf', 'anyOf', 'oneOf']) for (const child of (schema[key] as Schema[] | undefined) ?? []) close(child);
  };
  for (const ops of Object.values(doc.paths)) {
    for (const op of Object.values(ops as Record<string, { requestBody?: { content?: Record<string, { schema?: Schema }> } }>)) {
      for (const [type, media] of Object.entries(op?.requestBody?.content ?? {})) if (type.includes('json')) close(media.schema);
    }
  }
}

const ANNOTATIONS = ['description', 'title', 'example', 'examples', 'default', 'deprecated', 'readOnly', 'writeOnly'];

/** OpenAPI 3.0 `nullable` into 3.1 JSON Schema, everywhere in the document. */
function toOpenApi31(doc: OpenAPIObject): void {
  doc.openapi = '3.1.0';
  const visit = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(visit);
    if (!node || typeof node !== 'object') return node;
    const obj = node as Schema;
    for (const [k, v] of Object.entries(obj)) obj[k] = visit(v);
    if (obj.nullable === undefined) return obj;
    const nullable = obj.nullable === true;
    delete obj.nullable;
    if (!nullable) return obj;
    const composed = obj.$ref !== undefined || obj.allOf !== undefined || obj.oneOf !== undefined || obj.anyOf !== undefined;
    if (composed) {
      // { nullable, type: object, allOf: [X] } → { anyOf: [X, {type: 'null'}] }, annotations kept outside
      const outer: Schema = {};
      const inner: Schema = {};
      for (const [k, v] of Object.entries(obj)) (ANNOTATIONS.includes(k) ? outer : inner)[k] = v;
      delete inner.type;
      const allOf = inner.allOf as Schema[] | undefined;
      const only = allOf && allOf.length === 1 && Object.keys(inner).length === 1 ? allOf[0] : inner;
      return { ...outer, anyOf: [only, { type: 'null' }] };
    }
    if (typeof obj.type === 'string') obj.type = [obj.type, 'null'];
    if (Array.isArray(obj.enum) && !obj.enum.includes(null)) obj.enum = [...obj.enum, null];
    return obj;
  };
  visit(doc);
}
