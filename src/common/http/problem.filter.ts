import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger, NotFoundException } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { DomainError } from '../../domain/errors';
import { problem, sendProblem, type Problem } from './problem';
import { RequestValidationError } from './request-validation.error';
import { ResponseReplay } from './response-replay';
import type { RouteTable } from './route-table';
import { runWithLogContext } from '../log-context';

const NOT_JSON = 'the body must be JSON: send Content-Type: application/json';

/** What the request was allowed, to say in the answer (the route's body limit, for a 413). */
export interface ProblemContext {
  bodyLimit?: number;
}

/** The one place where errors become HTTP answers (RFC 9457 problem+json). */
export function toProblem(err: unknown, ctx: ProblemContext = {}): { problem: Problem; headers: Record<string, string> } {
  const headers: Record<string, string> = {};
  if (err instanceof RequestValidationError) {
    return { problem: problem(err.status, err.message, { errors: err.errors }), headers };
  }
  if (err instanceof DomainError) {
    const errors = err.field ? [{ field: err.field, message: err.message }] : undefined;
    switch (err.kind) {
      case 'not-found':
        return { problem: problem(404, err.message, { errors }), headers };
      case 'conflict':
        return { problem: problem(409, err.message, { errors }), headers };
      case 'precondition-failed':
        return { problem: problem(412, err.message, { errors: [{ field: err.field ?? 'If-Match', message: err.message }] }), headers };
      case 'forbidden':
        return { problem: problem(403, err.message, { errors }), headers };
      case 'invalid':
        return { problem: problem(400, err.message, { errors }), headers };
      case 'not-rated':
        return { problem: problem(409, err.message, { title: 'Not yet rated' }), headers };
      case 'unavailable':
        headers['retry-after'] = '1';
        return { problem: problem(503, err.message), headers };
    }
  }
  if (err instanceof HttpException) {
    const status = err.getStatus();
    const response = err.getResponse();
    const detail =
      typeof response === 'string'
        ? response
        : Array.isArray((response as { message?: unknown }).message)
          ? ((response as { message: string[] }).message).join('; ')
          : String((response as { message?: unknown }).message ?? err.message);
    if (status === 401) headers['www-authenticate'] = 'Bearer';
    // A rate limit's wait (tooManyRequests in src/auth/rate-limit.ts), however the 429 is thrown.
    const retryAfter = (response as { retryAfter?: unknown }).retryAfter;
    if (status === 429 && typeof retryAfter === 'number') headers['retry-after'] = String(retryAfter);
    // Fastify's own errors reach here wrapped by Nest (HttpException with Fastify's message).
    if (status === 415) return { problem: problem(415, NOT_JSON), headers };
    if (status === 413) return { problem: problem(413, bodyTooLarge(ctx.bodyLimit)), headers };
    // A 400 that no DTO explained (unparsable JSON, wrong body type) is about the body itself.
    const errors = status === 400 ? [{ field: 'body', message: detail }] : undefined;
    return { problem: problem(status, detail, errors ? { errors } : {}), headers };
  }
  // Errors raised by Fastify itself before a route runs (body parsing, size limit, media type).
  const fastifyErr = err as { statusCode?: number; code?: string; message?: string };
  if (typeof fastifyErr?.statusCode === 'number' && fastifyErr.statusCode >= 400 && fastifyErr.statusCode < 500) {
    const status = fastifyErr.statusCode;
    const detail =
      status === 413
        ? bodyTooLarge(ctx.bodyLimit)
        : fastifyErr.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE'
          ? NOT_JSON
          : (fastifyErr.message ?? 'bad request');
    const field = status === 400 ? [{ field: 'body', message: detail }] : undefined;
    return { problem: problem(status, detail, field ? { errors: field } : {}), headers };
  }
  return { problem: problem(500, 'internal error; the request was not applied'), headers };
}

/** The 413 detail: the limit in bytes, as configured for the route (Fastify's bodyLimit). */
export function bodyTooLarge(limit: number | undefined): string {
  return typeof limit === 'number' && limit > 0 ? `body exceeds ${limit} bytes` : 'body exceeds the size limit';
}

@Catch()
export class ProblemFilter implements ExceptionFilter {
  private readonly logger = new Logger('HTTP');

  /** `routes`: what each path answers, so a known path asked with another method is 405, not 404. */
  constructor(private readonly routes?: RouteTable) {}

  catch(err: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const reply = http.getResponse<FastifyReply>();
    if (err instanceof ResponseReplay) {
      replayOrConflict(reply, err);
      return;
    }
    if (err instanceof NotFoundException && this.routes) {
      // The router found no route: is the path known under other methods?
      const req = http.getRequest<FastifyRequest>();
      const path = req.url.split('?')[0];
      const allowed = this.routes.allowed(path);
      if (allowed.length > 0 && !allowed.includes(req.method)) {
        const detail = `${req.method} is not allowed on ${path}; use ${allowed.join(', ')}`;
        sendProblem(reply, problem(405, detail), { allow: allowed.join(', ') });
        return;
      }
    }
    const req = http.getRequest<FastifyRequest | undefined>();
    const { problem: p, headers } = toProblem(err, { bodyLimit: req?.routeOptions?.bodyLimit });
    // The line says which request it is about (the log context is not carried across awaits).
    if (p.status >= 500) runWithLogContext({ reqId: req ? String(req.id) : undefined }, () => this.logger.error((err as Error)?.stack ?? String(err)));
    sendProblem(reply, p, headers);
  }
}

export function replayOrConflict(reply: FastifyReply, replay: ResponseReplay): void {
  if (!replay.sameRequest) {
    sendProblem(
      reply,
      problem(409, 'this Idempotency-Key was already used with a different request', {
        errors: [{ field: 'Idempotency-Key', message: 'already used with a different request body' }],
      }),
    );
    return;
  }
  for (const [k, v] of Object.entries(replay.response.headers)) reply.header(k, v);
  reply.header('idempotent-replayed', 'true');
  reply.status(replay.response.status);
  if (replay.response.body === null || replay.response.body === undefined) reply.send();
  else reply.header('content-type', 'application/json; charset=utf-8').send(JSON.stringify(replay.response.body));
}
