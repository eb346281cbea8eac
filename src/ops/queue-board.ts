import { ForbiddenException, NotFoundException, UnauthorizedException } from '@nestjs/common';
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import type {
  AppControllerRoute,
  AppViewRoute,
  BullBoardQueues,
  ControllerHandlerReturnType,
  IServerAdapter,
  UIConfig,
} from '@bull-board/api/dist/types';
import type { Queue } from 'bullmq';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { sendProblem } from '../common/http/problem';
import { toProblem } from '../common/http/problem.filter';
import type { Principal } from '../domain/types';
import { serveDirectory } from './static-files';

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

function refuse(reply: FastifyReply, err: Error): void {
  const { problem, headers } = toProblem(err);
  if (problem.status === 401) {
    delete headers['www-authenticate'];
    reply.header('www-authenticate', CHALLENGES);
  }
  reply.header('cache-control', 'no-store');
  sendProblem(reply, problem, headers);
}

const notFound = (reply: FastifyReply) => refuse(reply, new NotFoundException('no such page on the queue board'));

const escapeHtml = (v: string): string =>
  v.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/**
 * bull-board's UI page is an EJS template that only substitutes values (`<%= x %>` escaped,
 * `<%- x %>` raw); this renders exactly that, and refuses a template that does more.
 */
export function renderBoardTemplate(template: string, params: Record<string, string | undefined>): string {
  const out = template
    .replace(/<%=\s*([A-Za-z_]\w*)\s*%>/g, (_m, name: string) => escapeHtml(params[name] ?? ''))
    .replace(/<%-\s*([A-Za-z_]\w*)\s*%>/g, (_m, name: string) => params[name] ?? '');
  if (out.includes('<%')) throw new Error('the bull-board template uses EJS features this adapter does not render');
  return out;
}

/**
 * bull-board's server side for Fastify, written here rather than taken from @bull-board/fastify:
 * that adapter serves files through @fastify/static, whose ESM-only dependency does not load
 * under Jest on Node 20. It mounts the same UI page, static assets and JSON API.
 */
export class FastifyBoardAdapter implements IServerAdapter {
  private queues: BullBoardQueues | null = null;
  private viewsPath = '';
  private statics: { route: string; path: string } | null = null;
  private entry: AppViewRoute | null = null;
  private errorHandler: ((error: Error) => ControllerHandlerReturnType) | null = null;
  private apiRoutes: AppControllerRoute[] = [];
  private uiConfig: UIConfig = {};

  constructor(private readonly basePath: string) {}

  setQueues(queues: BullBoardQueues): this {
    this.queues = queues;
    return this;
  }

  setViewsPath(path: string): this {
    this.viewsPath = path;
    return this;
  }

  setStaticPath(route: string, path: string): this {
    this.statics = { route, path };
    return this;
  }

  setEntryRoute(route: AppViewRoute): this {
    this.entry = route;
    return this;
  }

  setErrorHandler(handler: (error: Error) => ControllerHandlerReturnType): this {
    this.errorHandler = handler;
    return this;
  }

  setApiRoutes(routes: AppControllerRoute[]): this {
    this.apiRoutes = routes;
    return this;
  }

  setUIConfig(config: UIConfig = {}): this {
    this.uiConfig = config;
    return this;
  }

  /** Adds the board's routes under basePath to `scope` (an encapsulated Fastify context). */
  mount(scope: FastifyInstance): void {
    const { queues, statics, entry, errorHandler } = this;
    if (!queues || !statics || !entry || !errorHandler || !this.viewsPath) throw new Error('createBullBoard has not configured the adapter');
    const base = this.basePath;
    serveDirectory(scope, `${base}${statics.route}`, statics.path, notFound);

    const template = new Map<string, string>();
    const page = async (_req: FastifyRequest, reply: FastifyReply) => {
      const view = entry.handler({ basePath: base, uiConfig: this.uiConfig });
      let text = template.get(view.name);
      if (!text) {
        text = readFileSync(join(this.viewsPath, view.name), 'utf8');
        template.set(view.name, text);
      }
      reply.header('content-type', 'text/html; charset=utf-8').header('cache-control', 'no-store');
      return reply.send(renderBoardTemplate(text, view.params));
    };
    const entryRoutes = ([] as string[]).concat(entry.route);
    for (const route of entryRoutes) {
      const url = route === '/' ? base : `${base}${route}`;
      scope.route({ method: entry.method.toUpperCase() as 'GET', url, handler: page });
      if (route === '/') scope.route({ method: entry.method.toUpperCase() as 'GET', url: `${base}/`, handler: page });
    }

    for (const route of this.apiRoutes) {
      const methods = ([] as string[]).concat(route.method).map((m) => m.toUpperCase() as 'GET');
      for (const path of ([] as string[]).concat(route.route)) {
        scope.route({
          method: methods,
          url: `${base}${path}`,
          handler: async (req, reply) => {
            try {
              const answer = await route.handler({
                queues,
                uiConfig: this.uiConfig,
                params: (req.params ?? {}) as Record<string, string>,
                query: (req.query ?? {}) as Record<string, string>,
                body: (req.body ?? {}) as Record<string, unknown>,
                headers: req.headers as Record<string, string | undefined>,
              });
              reply.header('cache-control', 'no-store');
              return reply.status(answer.status ?? 200).send(answer.body);
            } catch (err) {
              const answer = errorHandler(err as Error);
              return reply.status(answer.status ?? 500).send(answer.body);
            }
          },
        });
      }
    }
  }
}

/**
 * bull-board at /queues (UI and its JSON API under /queues/api), for admin keys only: 401
 * without a known key, 403 for a weaker role, both problem+json. Registered straight on Fastify
 * in its own encapsulated context, so the admin check guards every board route and nothing else.
 */
export function registerQueueBoard(
  fastify: FastifyInstance,
  queues: Queue[],
  authenticate: (key: string) => Promise<Principal | null>,
): void {
  const adapter = new FastifyBoardAdapter(QUEUE_BOARD_PATH);
  createBullBoard({
    queues: queues.map((q) => new BullMQAdapter(q)),
    serverAdapter: adapter,
    options: { uiBasePath: dirname(require.resolve('@bull-board/ui/package.json')), uiConfig: { boardTitle: 'claim-ledger queues' } },
  });
  fastify.register(async (scope) => {
    scope.addHook('onRequest', async (req: FastifyRequest, reply: FastifyReply) => {
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
    adapter.mount(scope);
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
