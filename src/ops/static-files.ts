import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { problem, sendProblem } from '../common/http/problem';

/**
 * What the operations UIs (Swagger UI at /docs, the queue board at /queues) share: their files
 * are served by @fastify/static, and their pages may not be framed by another site.
 */

/** Clickjacking: X-Frame-Options for older browsers, CSP frame-ancestors for the others. */
export function refuseFraming(reply: FastifyReply): void {
  reply.header('x-frame-options', 'DENY').header('content-security-policy', "frame-ancestors 'none'");
}

/**
 * Serves the files under `root` at `GET <prefix>*` with @fastify/static (in `scope`, which must
 * be an encapsulated context of its own: the reply is not decorated, so several can coexist).
 * A path that leaves `root`, is malformed (`%25`) or names no file falls through to the app's
 * 404 (problem+json); no directory listings, no index files.
 */
export async function serveFiles(scope: FastifyInstance, prefix: string, root: string, maxAgeSeconds = 3600): Promise<void> {
  await scope.register(async (files) => {
    // @fastify/static answers 403 to a path that tries to leave `root` (`..%2f`): to the client,
    // that is just a file that is not there. Anything else goes on to the app's error handling.
    files.setErrorHandler((err: { statusCode?: number }, _req, reply) => {
      if (err.statusCode !== 403) throw err;
      sendProblem(reply, problem(404, 'no such file'));
    });
    await files.register(fastifyStatic, {
      root,
      prefix: prefix.endsWith('/') ? prefix : `${prefix}/`,
      decorateReply: false,
      index: false,
      list: false,
      dotfiles: 'deny',
      cacheControl: true,
      maxAge: maxAgeSeconds * 1000,
    });
  });
}
