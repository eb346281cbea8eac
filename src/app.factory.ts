import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import type { AppConfig } from './config/app-config';
import { AppModule } from './app.module';
import { guardRequests } from './auth/auth.guard';
import type { FastifyReply } from 'fastify';
import { ProblemFilter } from './common/http/problem.filter';
import { RouteTable } from './common/http/route-table';
import { problem, sendProblem } from './common/http/problem';
import { URL_TOO_LONG, createValidationPipe, refuseDeepBodies, requestLineTooLong, urlTooLongProblem } from './common/http/validation';
import { installImportBodyParsers } from './imports/upload';
import { OpsModule, createOpsRuntime, installHttpOps, type OpsRuntime } from './ops/ops.module';
import { acceptTextBodies } from './transparency/http/text-body';

export const BODY_LIMIT_BYTES = 1024 * 1024;

/** How often Node checks for requests past their headers/request timeout: a fraction of the shorter one, at most 1 s. */
function timeoutCheckInterval(config: Pick<AppConfig, 'httpRequestTimeoutMs' | 'httpHeadersTimeoutMs'>): number {
  const set = [config.httpRequestTimeoutMs, config.httpHeadersTimeoutMs].filter((ms) => ms > 0);
  return set.length === 0 ? 1000 : Math.min(1000, Math.max(50, Math.floor(Math.min(...set) / 4)));
}
const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * Builds the HTTP app (Fastify under Nest); used by main.ts and by the e2e tests. Logs are pino
 * JSON lines (src/ops/logging.ts); `ops` lets a caller pass its own runtime (e.g. a log sink).
 * Signals are main.ts's business (graceful shutdown), so several apps can live in one process.
 */
export async function createApp(config: AppConfig, ops: OpsRuntime = createOpsRuntime(config)): Promise<NestFastifyApplication> {
  const adapter = new FastifyAdapter({
    bodyLimit: BODY_LIMIT_BYTES,
    // Whose X-Forwarded-For sets request.ip (per-address limits): nobody's unless TRUST_PROXY says so.
    trustProxy: config.trustProxy ?? false,
    // Slow or idle clients cannot hold connections (HTTP_* settings, src/config/app-config.ts). The
    // request timeout covers receiving the request only: a long answer (the SSE feed) is not cut.
    requestTimeout: config.httpRequestTimeoutMs,
    connectionTimeout: config.httpConnectionTimeoutMs,
    http: {
      requestTimeout: config.httpRequestTimeoutMs,
      headersTimeout: config.httpHeadersTimeoutMs,
      // Node looks for expired requests this often (its default, 30 s, would stretch every timeout).
      connectionsCheckingInterval: timeoutCheckInterval(config),
    },
    onProtoPoisoning: 'error',
    onConstructorPoisoning: 'error',
    // Errors Fastify's router raises before any route runs (malformed percent-encoding: 400; a path
    // segment over 100 characters: 414) answer problem+json like every other error.
    frameworkErrors: (err: { code?: string; statusCode?: number }, req: { id: unknown }, reply: FastifyReply) => {
      reply.header('x-request-id', String(req.id)); // no request hook runs for these
      if (err.code === 'FST_ERR_MAX_PARAM_LENGTH') {
        const detail = 'a path segment is longer than 100 characters';
        sendProblem(reply, problem(414, detail, { title: 'URI Too Long', type: 'urn:claim-ledger:problem:uri-too-long', errors: [{ field: 'url', message: detail }] }));
      } else if (err.code === 'FST_ERR_BAD_URL') {
        const detail = 'the URL is not valid (malformed percent-encoding)';
        sendProblem(reply, problem(400, detail, { errors: [{ field: 'url', message: detail }] }));
      } else {
        sendProblem(reply, problem(err.statusCode ?? 500, 'the request could not be routed'));
      }
    },
    // Requests Node's HTTP parser refuses (headers over 16 KiB, malformed request lines or header
    // values, a client too slow to send them) get problem+json too, then the connection closes.
    clientErrorHandler: (err: NodeJS.ErrnoException, socket: Socket) => {
      if (err.code === 'ECONNRESET' || socket.destroyed) return;
      const [status, title, detail] =
        err.code === 'HPE_HEADER_OVERFLOW' && requestLineTooLong((err as { rawPacket?: Buffer }).rawPacket)
          ? [414, 'URI Too Long', URL_TOO_LONG]
          : err.code === 'HPE_HEADER_OVERFLOW'
          ? [431, 'Request Header Fields Too Large', 'the request headers are larger than 16 KiB']
          : err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
            ? [408, 'Request Timeout', 'the request was not received in time']
            : [400, 'Bad Request', 'the request is not well-formed HTTP'];
      const body = JSON.stringify(
        status === 414 ? urlTooLongProblem() : problem(status, detail, { title, type: `urn:claim-ledger:problem:${title.toLowerCase().replace(/[^a-z]+/g, '-')}` }),
      );
      if (socket.writable) {
        socket.write(`HTTP/1.1 ${status} ${title}\r\nContent-Type: application/problem+json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
      }
      socket.destroy();
    },
    // A caller's X-Request-Id is kept (when sane) so it can follow the request into events and jobs.
    genReqId: (req: { headers: Record<string, string | string[] | undefined> }) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    },
  });
  const app = await NestFactory.create<NestFastifyApplication>(OpsModule.root(AppModule.register(config, ops), ops, { http: true }), adapter, {
    logger: ops.nestLogger,
    // A failed start (e.g. a schema newer than this build) rejects here instead of exiting the process.
    abortOnError: false,
  });
  const routes = new RouteTable();
  app.getHttpAdapter().getInstance().addHook('onRoute', (route) => routes.add(route.method, route.url));
  app.useGlobalFilters(new ProblemFilter(routes));
  app.useGlobalPipes(createValidationPipe());
  const fastify = app.getHttpAdapter().getInstance();
  // The API speaks JSON only: any other body type is 415, not a string run through validation.
  fastify.removeContentTypeParser(['text/plain']);
  refuseDeepBodies(fastify);
  acceptTextBodies(fastify); // except a witness's cosigned checkpoint (src/transparency)
  installImportBodyParsers(fastify); // and the import files, streamed to disk (src/imports)
  installHttpOps(app, config, ops); // (its request hook also sets X-Request-Id on every answer)
  // The key once the route is known and before the body is read; its rate limit and the
  // Idempotency-Key lookup once the body is parsed (src/auth/auth.guard.ts).
  guardRequests(app);
  const server = app.getHttpServer() as Server;
  server.keepAliveTimeout = config.httpKeepAliveTimeoutMs; // set here: Fastify reads 0 as "its default"
  if (config.httpMaxConnections > 0) server.maxConnections = config.httpMaxConnections;
  await app.init();
  // Nor form bodies (curl's default type, and what a cross-site HTML form can send): Nest adds
  // this parser during init, so it goes after.
  if (fastify.hasContentTypeParser('application/x-www-form-urlencoded')) fastify.removeContentTypeParser('application/x-www-form-urlencoded');
  return app;
}
