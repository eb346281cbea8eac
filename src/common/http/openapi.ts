import { applyDecorators } from '@nestjs/common';
import { ApiBearerAuth, ApiExtraModels, ApiHeader, ApiResponse, getSchemaPath } from '@nestjs/swagger';
import { EX } from './examples';
import { problem } from './problem';
import { ProblemSchema } from './schemas';

/** Name of the bearer security scheme in the document. */
export const API_KEY_SCHEME = 'api-key';

const PROBLEM_EXAMPLES: Record<number, { description: string; detail: string; errors?: Array<{ field: string; message: string }> }> = {
  400: {
    description: 'Bad input: the problem names the field (unknown fields are rejected too)',
    detail: 'source.url must be an absolute http or https URL',
    errors: [{ field: 'source.url', message: 'source.url must be an absolute http or https URL' }],
  },
  401: { description: 'No API key, or an unknown or revoked one', detail: 'send an API key as "Authorization: Bearer <key>"' },
  403: { description: 'A known key with too weak a role', detail: 'this route needs the checker role; the key has viewer' },
  404: { description: 'Nothing with that id', detail: `no claim with id ${EX.claimId}`, errors: [{ field: 'id', message: `no claim with id ${EX.claimId}` }] },
  409: {
    description: 'The Idempotency-Key was used before with a different body',
    detail: 'this Idempotency-Key was already used with a different request',
    errors: [{ field: 'Idempotency-Key', message: 'already used with a different request body' }],
  },
  412: {
    description: 'If-Match names a version the claim has moved past; nothing was written',
    detail: `stream claim-${EX.claimId} is at version 4, expected 3`,
    errors: [{ field: 'If-Match', message: `stream claim-${EX.claimId} is at version 4, expected 3` }],
  },
  413: { description: 'The body is larger than 1 MiB', detail: 'body exceeds 1048576 bytes' },
  415: { description: 'The body is not JSON', detail: 'the body must be JSON: send Content-Type: application/json' },
  429: {
    description: 'Too many requests for this API key (RATE_LIMIT_PER_MINUTE, RATE_LIMIT_READS_PER_MINUTE) or too many live streams; retry after Retry-After seconds',
    detail: 'rate limit: at most 1200 writes per minute per API key; retry in 1 s',
  },
  503: { description: 'The ledger is busy or shutting down; retry (Retry-After)', detail: 'the ledger is busy; retry shortly' },
};

/** Headers an error answer always carries, by status. */
const PROBLEM_HEADERS: Record<number, Record<string, { description: string; required: boolean; schema: Record<string, unknown> }>> = {
  429: { 'Retry-After': { description: 'Whole seconds to wait before trying again', required: true, schema: { type: 'string', pattern: '^[1-9][0-9]*$', example: '1' } } },
};

/** Error answers as RFC 9457 application/problem+json, one entry per status. */
export function ApiProblems(...statuses: number[]): MethodDecorator & ClassDecorator {
  return applyDecorators(
    ApiExtraModels(ProblemSchema),
    ...statuses.map((status) => {
      const ex = PROBLEM_EXAMPLES[status] ?? { description: 'Error', detail: 'error' };
      return ApiResponse({
        status,
        description: ex.description,
        ...(PROBLEM_HEADERS[status] ? { headers: PROBLEM_HEADERS[status] } : {}),
        content: {
          'application/problem+json': {
            schema: { $ref: getSchemaPath(ProblemSchema) },
            example: problem(status, ex.detail, ex.errors ? { errors: ex.errors } : {}),
          },
        },
      });
    }),
  );
}

/** One error answer with this route's own description (when the shared one does not fit). */
export function ApiProblem(status: number, description: string, detail: string): MethodDecorator {
  return applyDecorators(
    ApiExtraModels(ProblemSchema),
    ApiResponse({
      status,
      description,
      ...(PROBLEM_HEADERS[status] ? { headers: PROBLEM_HEADERS[status] } : {}),
      content: { 'application/problem+json': { schema: { $ref: getSchemaPath(ProblemSchema) }, example: problem(status, detail) } },
    }),
  );
}

export type DocumentedAccess = 'public' | 'read' | 'viewer' | 'checker' | 'editor' | 'admin';

/**
 * Who may call the route, as security requirement plus the 401/403 answers it can give, and the
 * 429 of the per-key rate limit (src/auth/rate-limit.ts) that every non-public route has.
 * Public routes get `security: []` in the document (src/ops/openapi/document-rules.ts).
 */
export function ApiAccess(access: DocumentedAccess): MethodDecorator & ClassDecorator {
  if (access === 'public') return applyDecorators();
  return applyDecorators(ApiBearerAuth(API_KEY_SCHEME), ApiProblems(401, 403, 429));
}

/** Idempotency-Key as the idempotency guard checks it: 1..255 visible ASCII characters. */
export const IDEMPOTENCY_KEY_SCHEMA = { type: 'string', minLength: 1, maxLength: 255, pattern: '^[\\x21-\\x7E]{1,255}$' } as const;

/** If-Match as parseIfMatch (src/evidence/evidence.controller.ts) reads it: a version ETag, weak or strong. */
export const IF_MATCH_SCHEMA = { type: 'string', pattern: '^\\s*(?:W/)?"[0-9]{1,15}"\\s*$' } as const;

/** The Idempotency-Key header every POST accepts, and the 409 for a reused key. */
export function ApiIdempotent(): MethodDecorator {
  return applyDecorators(
    ApiHeader({
      name: 'Idempotency-Key',
      required: false,
      schema: IDEMPOTENCY_KEY_SCHEMA,
      description:
        'Any 1..255 visible ASCII characters. The same key with the same body answers the first response again (header Idempotent-Replayed: true) and writes nothing; with a different body: 409.',
      example: 'pledge-medinsky-2022-03-29',
    }),
    ApiProblems(409),
  );
}

/** Problems every JSON-body write can answer besides its own. */
export function ApiWriteProblems(): MethodDecorator {
  return ApiProblems(400, 413, 415, 503);
}
