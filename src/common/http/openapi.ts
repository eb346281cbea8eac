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
  413: { description: 'The body is larger than 1 MiB', detail: 'request body is larger than 1 MiB' },
  415: { description: 'The body is not JSON', detail: 'the body must be JSON: send Content-Type: application/json' },
  503: { description: 'The ledger is busy or shutting down; retry (Retry-After)', detail: 'the ledger is busy; retry shortly' },
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

export type DocumentedAccess = 'public' | 'read' | 'viewer' | 'checker' | 'editor' | 'admin';

/** Who may call the route, as security requirement plus the 401/403 answers it can give. */
export function ApiAccess(access: DocumentedAccess): MethodDecorator & ClassDecorator {
  if (access === 'public') return applyDecorators();
  return applyDecorators(ApiBearerAuth(API_KEY_SCHEME), ApiProblems(401, 403));
}

/** The Idempotency-Key header every POST accepts, and the 409 for a reused key. */
export function ApiIdempotent(): MethodDecorator {
  return applyDecorators(
    ApiHeader({
      name: 'Idempotency-Key',
      required: false,
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
