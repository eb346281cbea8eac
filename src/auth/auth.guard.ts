import { ForbiddenException, Inject, Injectable, RequestMethod, UnauthorizedException } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import { DiscoveryService } from '@nestjs/core';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { FASTIFY_ROUTE_CONFIG_METADATA } from '@nestjs/platform-fastify/constants';
import type { FastifyRequest } from 'fastify';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { IdempotencyCheck, type IdempotentRequest } from '../ledger/http/idempotency.guard';
import { ApiKeysService } from './api-keys.service';
import { RateLimiter, takeRequestBudget, tooManyRequests } from './rate-limit';
import { ACCESS_KEY, roleSatisfies, routeAccess, type Access, type Principal, type Role } from './roles';

export type AuthedRequest = FastifyRequest & { principal?: Principal };

/** The access rule a route declared (RequireAccess puts it in the Fastify route config), if any. */
export function routeAccessOf(req: FastifyRequest): Access | undefined {
  return (req.routeOptions?.config as { access?: Access } | undefined)?.access;
}

/** Checks a request's key against a route's access rule: 401 for no or unknown key, 403 for too weak a role. */
@Injectable()
export class RequestAuthenticator {
  constructor(
    private readonly keys: ApiKeysService,
    private readonly limiter: RateLimiter,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /**
   * Sets `req.principal` when a known key came; throws (or rejects with) UnauthorizedException /
   * ForbiddenException. Returns undefined when it could decide at once (a public route, no key,
   * ADMIN_API_KEY), a promise when it has to look a key up.
   */
  authorize(req: AuthedRequest, access: Access): Promise<void> | undefined {
    if (access === 'public') return undefined;
    const header = req.headers.authorization;
    const principal = this.principalFrom(header);
    if (principal instanceof Promise) return principal.then((p) => this.decide(req, access, header, p));
    return this.decide(req, access, header, principal);
  }

  private decide(req: AuthedRequest, access: Exclude<Access, 'public'>, header: string | undefined, principal: Principal | null): Promise<void> | undefined {
    if (principal) req.principal = principal;
    if (access === 'read' && this.config.publicRead) return undefined;
    if (!principal) {
      const refuse = (): never => {
        throw new UnauthorizedException(
          !header
            ? 'send an API key as "Authorization: Bearer <key>"'
            : !/^Bearer\s/i.test(header)
              ? 'the Authorization header must be "Bearer <key>": put "Bearer " before the key'
              : 'the API key is unknown or revoked',
        );
      };
      return header ? this.countFailedAuthentication(req).then(refuse) : refuse();
    }
    const needed: Role = access === 'read' ? 'viewer' : access;
    if (!roleSatisfies(principal.role, needed)) {
      throw new ForbiddenException(`this route needs the ${needed} role; the key has ${principal.role}`);
    }
    return undefined;
  }

  /**
   * Failed authentications per client address (AUTH_FAILURES_PER_MINUTE): past the budget a bad
   * key is answered 429 with Retry-After instead of 401. Only bad keys are refused, not the address:
   * a good key from the same address (a shared NAT, a proxy) keeps working. Public routes that
   * still look at a key (/health's full answer) count their failures here too.
   */
  async countFailedAuthentication(req: Pick<AuthedRequest, 'ip'>): Promise<void> {
    const answer = await this.limiter.authFailures.take(`ip:${req.ip}`);
    if (answer.allowed) return;
    throw tooManyRequests(
      null,
      answer.retryAfterSec,
      `too many failed authentications from this address (at most ${this.limiter.authFailures.perMinute} per minute); retry in ${answer.retryAfterSec} s`,
    );
  }

  private principalFrom(header: string | undefined): Principal | null | Promise<Principal | null> {
    if (!header) return null;
    const m = /^Bearer\s+(\S{1,512})\s*$/i.exec(header);
    if (!m) return null;
    return this.keys.principalOf(m[1]);
  }
}

/**
 * Every Nest route gets its access rule into its Fastify route config, where the request hook
 * reads it: the method's rule, else its controller's (RequireAccess on a class already copied it
 * onto the class's own methods; this also covers inherited ones), else the default: a route that
 * declares nothing is treated as a write (a read for GET/HEAD), never as public. Runs before the
 * routes are registered (app.init), which is when Nest copies the metadata into the routes.
 */
export function declareDefaultAccess(controllers: Iterable<Function | null | undefined>): void {
  for (const controller of controllers) {
    if (typeof controller !== 'function') continue;
    const seen = new Set<string>();
    for (let proto = controller.prototype as object | null; proto && proto !== Object.prototype; proto = Object.getPrototypeOf(proto)) {
      for (const name of Object.getOwnPropertyNames(proto)) {
        if (name === 'constructor' || seen.has(name)) continue;
        seen.add(name);
        const method = Object.getOwnPropertyDescriptor(proto, name)?.value as object | undefined;
        if (typeof method !== 'function') continue;
        const verb = Reflect.getMetadata(METHOD_METADATA, method) as RequestMethod | undefined;
        if (verb === undefined || Reflect.getMetadata(PATH_METADATA, method) === undefined) continue; // not a route
        const config = Reflect.getMetadata(FASTIFY_ROUTE_CONFIG_METADATA, method) as { access?: Access } | undefined;
        if (config?.access !== undefined) continue;
        const declared = (Reflect.getMetadata(ACCESS_KEY, method) ?? Reflect.getMetadata(ACCESS_KEY, controller)) as Access | undefined;
        routeAccess(method, declared ?? (verb === RequestMethod.GET || verb === RequestMethod.HEAD ? 'read' : 'checker'));
      }
    }
  }
}

/**
 * Every check a request goes through before its handler, as two Fastify hooks on the routes
 * that carry an access rule (every Nest route, see declareDefaultAccess):
 * - onRequest, once the route is matched and before the body is read: the key (so a request
 *   without a good key is answered 401/403 at once, and its connection closed, instead of after
 *   its body has been received, parsed or streamed to disk);
 * - preHandler, once the body is parsed: the key's rate limit, then the Idempotency-Key lookup.
 * Hooks instead of Nest guards: a guard pipeline is an execution context and several promises
 * per guard on every request. Each hook finishes in the same tick when it has nothing to wait for.
 */
export function guardRequests(app: NestFastifyApplication): void {
  declareDefaultAccess(app.get(DiscoveryService, { strict: false }).getControllers().map((w) => w.metatype as Function | null));
  const fastify = app.getHttpAdapter().getInstance();
  const authenticator = app.get(RequestAuthenticator, { strict: false });
  const limiter = app.get(RateLimiter, { strict: false });
  const idempotency = app.get(IdempotencyCheck, { strict: false });

  fastify.addHook('onRequest', (req, reply, done) => {
    const access = routeAccessOf(req);
    if (access === undefined) return done(); // not a Nest route: it guards itself (queue board, docs, files)
    const refuse = (err: unknown) => {
      // A body may still be on its way: do not wait for it to keep the connection alive.
      if (req.headers['content-length'] !== undefined || req.headers['transfer-encoding'] !== undefined) reply.header('connection', 'close');
      done(err as Error);
    };
    settle(() => authenticator.authorize(req as AuthedRequest, access), done, refuse);
  });

  fastify.addHook('preHandler', (req, reply, done) => {
    const access = routeAccessOf(req);
    if (access === undefined) return done();
    settle(
      () => {
        const limited = access === 'public' ? undefined : takeRequestBudget(limiter, req as AuthedRequest, reply);
        if (limited) return limited.then(() => idempotency.check(req as IdempotentRequest));
        return idempotency.check(req as IdempotentRequest);
      },
      done,
      (err) => done(err as Error),
    );
  });
}

/** Runs a check that may finish at once (undefined) or later (a promise), then calls `ok` or `fail`. */
function settle(check: () => Promise<void> | undefined, ok: () => void, fail: (err: unknown) => void): void {
  let pending: Promise<void> | undefined;
  try {
    pending = check();
  } catch (err) {
    fail(err);
    return;
  }
  if (pending) pending.then(() => ok(), fail);
  else ok();
}
