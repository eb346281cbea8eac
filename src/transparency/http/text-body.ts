import type { FastifyInstance } from 'fastify';

/** The routes that take a text/plain body (a signed note); everywhere else text/plain stays 415. */
export const TEXT_BODY_ROUTES: ReadonlySet<string> = new Set(['/api/checkpoint/cosignatures']);

/** Parses text/plain (as a string, within the body limit) for TEXT_BODY_ROUTES only. */
export function acceptTextBodies(fastify: FastifyInstance): void {
  fastify.addContentTypeParser('text/plain', { parseAs: 'string' }, (req, body, done) => {
    if (TEXT_BODY_ROUTES.has(req.routeOptions?.url ?? '')) {
      done(null, body);
      return;
    }
    const err = Object.assign(new Error(`Unsupported Media Type: ${req.headers['content-type'] ?? ''}`), { statusCode: 415, code: 'FST_ERR_CTP_INVALID_MEDIA_TYPE' });
    done(err, undefined);
  });
}
