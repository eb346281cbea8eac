import { ForbiddenException, NotFoundException, UnauthorizedException } from '@nestjs/common';
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter as BullBoardFastifyAdapter } from '@bull-board/fastify';
import type { Queue } from 'bullmq';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { dirname } from 'node:path';
import { sendProblem } from '../common/http/problem';
import { toProblem } from '../common/http/problem.filter';
import type { Principal } from '../domain/types';
import { refuseFraming } from './static-files';

export const QUEUE_BOARD_PATH = '/queues';
/**
 * Two header fields, not one combined value: browsers (Chromium) skip the Basic part of a
 * combined `Bearer, Basic …` and never show their login prompt.
 */
const CHALLENGES = ['Bearer', 'Basic realm="claim-ledger queues", charset="UTF-8"'];

/**
 * The key a request presents: `Authorization: Bearer <key>`, or HTTP Basic with the key as the
 * password (any user name), so a browser can open the board: the 401 asks it for credentials
 * and it then sends them with every call the UI makes.
 */
export function presentedKey(header: string | undefined): string | null {
  if (!header) return null;
  const bearer = /^Bearer\s+(\S{1,512})\s*$/i.exec(header);
  if (bearer) return bearer[1];
  const basic = /^Basic\s+([A-Za-z0-9+/=]{1,1024})\s*$/i.exec(header);
  if (basic) {
    const decoded = Buffer.from(basic[1], 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    const password = colon >= 0 ? decoded.slice(colon + 1) : '';
    return password.length > 0 ? password : null;
  }
  return null;
}

/** Methods that change something: on the board, only from its own page (see crossSiteRefusal). */
const STATE_CHANGING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** The custom header the board's page adds to its own calls (BOARD_HEADER_SCRIPT); a cross-site form cannot send one. */
export const BOARD_REQUEST_HEADER = 'x-requested-with';
const BOARD_HEADER_SCRIPT_PATH = '/queues/x-requested-with.js';
/**
 * bull-board's UI (axios over XMLHttpRequest) sends no custom header of its own: this script,
 * loaded by the board page before the UI, adds one to every request the page makes.
 */
const BOARD_HEADER_SCRIPT = `(function () {
  var open = XMLHttpRequest.prototype.open;
  XMLHttpRequest.prototype.open = function () {
    var result = open.apply(this, arguments);
    this.setRequestHeader('X-Requested-With', 'XMLHttpRequest');
    return result;
  };
})();
`;

/**
 * Why a state-changing request to the board is refused as a possible cross-site request (the
 * browser resends Basic credentials by itself), or null when it may go on. It must come from the
 * board's own origin — `Sec-Fetch-Site` same-origin (or none: typed by the user) when the browser
 * sends it, else an `Origin` naming this host when there is one — and carry X-Requested-With.
 */
export function crossSiteRefusal(req: Pick<FastifyRequest, 'method' | 'headers' | 'host'>): string | null {
  if (!STATE_CHANGING.has(req.method)) return null;
  const site = req.headers['sec-fetch-site'];
  const origin = req.headers.origin;
  if (typeof site === 'string') {
    if (site !== 'same-origin' && site !== 'none') return `the queue board accepts changes only from its own pages (Sec-Fetch-Site: ${site.slice(0, 40)})`;
  } else if (typeof origin === 'string' && originHost(origin) !== req.host.toLowerCase()) {
    return 'the queue board accepts changes only from its own pages (the Origin is another site)';
  }
  if (!req.headers[BOARD_REQUEST_HEADER]) return 'changes on the queue board need the X-Requested-With header (the board page sends it)';
  return null;
}

function originHost(origin: string): string | null {
  try {
    return new URL(origin).host.toLowerCase();
  } catch {
    return null; // "null" (an opaque origin) or garbage: never this host
  }
}

function refuse(reply: FastifyReply, err: Error): void {
  const { problem, headers } = toProblem(err);
  if (problem.status === 401) {
    delete headers['www-authenticate'];
    reply.header('www-authenticate', CHALLENGES);
  }
  reply.header('cache-control', 'no-store');
  // Refused from its headers: a body still on its way is not waited for (as in auth.guard.ts).
  const { headers: sent } = reply.request;
  if (sent['content-length'] !== undefined || sent['transfer-encoding'] !== undefined) reply.header('connection', 'close');
  sendProblem(reply, problem, headers);
}

/**
 * bull-board at /queues (UI and its JSON API under /queues/api, through @bull-board/fastify), for
 * admin keys only: 401 without a known key, 403 for a weaker role, both problem+json; changes
 * only from the board's own page (crossSiteRefusal: 403); never framed. Registered straight on
 * Fastify in its own encapsulated context, so these checks guard every board route and nothing else.
 */
export function registerQueueBoard(
  fastify: FastifyInstance,
  queues: Queue[],
  authenticate: (key: string) => Promise<Principal | null>,
): void {
  const adapter = new BullBoardFastifyAdapter();
  adapter.setBasePath(QUEUE_BOARD_PATH);
  createBullBoard({
    queues: queues.map((q) => new BullMQAdapter(q)),
    serverAdapter: adapter,
    options: { uiBasePath: dirname(require.resolve('@bull-board/ui/package.json')), uiConfig: { boardTitle: 'claim-ledger queues' } },
  });
  fastify.register(async (scope) => {
    scope.addHook('onRequest', async (req: FastifyRequest, reply: FastifyReply) => {
      refuseFraming(reply);
      const crossSite = crossSiteRefusal(req);
      if (crossSite) {
        refuse(reply, new ForbiddenException(crossSite));
        return reply;
      }
      const key = presentedKey(req.headers.authorization);
      const principal = key ? await authenticate(key) : null;
      if (!principal) {
        refuse(
          reply,
          new UnauthorizedException(
            key ? 'the API key is unknown or revoked' : 'the queue board needs an admin API key (Bearer, or Basic auth with the key as password)',
          ),
        );
        return reply;
      }
      if (principal.role !== 'admin') {
        refuse(reply, new ForbiddenException(`the queue board needs the admin role; the key has ${principal.role}`));
        return reply;
      }
      (req as FastifyRequest & { principal?: Principal }).principal = principal;
    });
    // The UI's files may be cached (their names carry a content hash); pages and API answers not.
    scope.addHook('onSend', async (req, reply, payload) => {
      const isAsset = req.url.startsWith(`${QUEUE_BOARD_PATH}/static/`) || req.url === BOARD_HEADER_SCRIPT_PATH;
      reply.header('cache-control', isAsset && reply.statusCode === 200 ? 'public, max-age=3600' : 'no-store');
      const type = String(reply.getHeader('content-type') ?? '');
      if (typeof payload === 'string' && type.startsWith('text/html') && payload.includes('<head>')) {
        // The page loads the header script before bull-board's own (deferred) scripts run.
        return payload.replace('<head>', `<head>\n    <script src="${BOARD_HEADER_SCRIPT_PATH}"></script>`);
      }
      return payload;
    });
    scope.get(BOARD_HEADER_SCRIPT_PATH, async (_req, reply) => reply.header('content-type', 'application/javascript; charset=utf-8').send(BOARD_HEADER_SCRIPT));
    await scope.register(adapter.registerPlugin(), { prefix: QUEUE_BOARD_PATH });
  });
}

/** Without REDIS_URL there are no queues: /queues answers 404 (problem+json) saying why. */
export function registerQueueBoardAbsent(fastify: FastifyInstance): void {
  const handler = async (_req: FastifyRequest, reply: FastifyReply) => {
    refuse(reply, new NotFoundException('the queue board needs REDIS_URL: without Redis, jobs run in-process and there are no queues to show'));
    return reply;
  };
  fastify.get(QUEUE_BOARD_PATH, handler);
  fastify.get(`${QUEUE_BOARD_PATH}/*`, handler);
}
