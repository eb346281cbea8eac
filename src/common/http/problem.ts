import type { FastifyReply } from 'fastify';
import type { FieldErrorSchema, ProblemSchema } from './schemas';

export type FieldError = FieldErrorSchema;

/** RFC 9457 problem details, as every error of the API is answered (documented as ProblemSchema). */
export interface Problem extends ProblemSchema {
  [extension: string]: unknown;
}

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  406: 'Not Acceptable',
  409: 'Conflict',
  412: 'Precondition Failed',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  428: 'Precondition Required',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

export function problem(status: number, detail: string, extra: Partial<Problem> = {}): Problem {
  const slug = (TITLES[status] ?? 'Error').toLowerCase().replace(/[^a-z]+/g, '-');
  return {
    type: `urn:claim-ledger:problem:${slug}`,
    title: TITLES[status] ?? 'Error',
    status,
    detail,
    ...extra,
  };
}

export function sendProblem(reply: FastifyReply, p: Problem, headers: Record<string, string> = {}): void {
  for (const [k, v] of Object.entries(headers)) reply.header(k, v);
  reply.status(p.status).header('content-type', 'application/problem+json; charset=utf-8').send(JSON.stringify(p));
}
