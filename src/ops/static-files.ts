import { readFile, stat } from 'node:fs/promises';
import { extname, join, resolve, sep } from 'node:path';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'application/javascript; charset=utf-8',
  '.mjs': 'application/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

/**
 * Serves the files under `dir` at `GET <prefix>/*` (read once, then kept in memory: these are
 * a UI's fixed assets). Paths cannot leave `dir`; anything else is a 404. Used instead of
 * @fastify/static, whose ESM-only dependency cannot load under Jest on Node 20.
 */
export function serveDirectory(fastify: FastifyInstance, prefix: string, dir: string, notFound: (reply: FastifyReply) => void): void {
  const root = resolve(dir);
  const cache = new Map<string, Buffer>();
  fastify.get(`${prefix}/*`, async (req: FastifyRequest<{ Params: { '*': string } }>, reply: FastifyReply) => {
    // Fastify has decoded the path already: decoding again would turn `%25` into a lone `%`
    // (a URIError, so a 500) and let `%252e%252e` become `..`.
    const rel = req.params['*'] ?? '';
    const file = resolve(join(root, rel));
    const type = TYPES[extname(file).toLowerCase()];
    if (!type || !file.startsWith(root + sep) || rel.includes('\0')) {
      notFound(reply);
      return reply;
    }
    let body = cache.get(file);
    if (!body) {
      try {
        if (!(await stat(file)).isFile()) throw new Error('not a file');
        body = await readFile(file);
      } catch {
        notFound(reply);
        return reply;
      }
      cache.set(file, body);
    }
    reply.header('content-type', type).header('cache-control', 'public, max-age=3600');
    return reply.send(body);
  });
}
