import { CanActivate, ExecutionContext, ForbiddenException, Inject, Injectable, UnauthorizedException } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { ApiKeysService } from './api-keys.service';
import { RateLimiter, tooManyRequests } from './rate-limit';
import { ACCESS_KEY, roleSatisfies, type Access, type Principal, type Role } from './roles';

export type AuthedRequest = FastifyRequest & { principal?: Principal; accessChecked?: boolean };

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

  /** Sets `req.principal` when a known key came; throws UnauthorizedException / ForbiddenException. */
  async authorize(req: AuthedRequest, access: Access): Promise<void> {
    req.accessChecked = true;
    if (access === 'public') return;

    const header = req.headers.authorization;
    const principal = await this.principalFrom(header);
    if (principal) req.principal = principal;
    if (access === 'read' && this.config.publicRead) return;
    if (!principal) {
      if (header) await this.countFailedAuthentication(req);
      throw new UnauthorizedException(
        !header
          ? 'send an API key as "Authorization: Bearer <key>"'
          : !/^Bearer\s/i.test(header)
            ? 'the Authorization header must be "Bearer <key>": put "Bearer " before the key'
            : 'the API key is unknown or revoked',
      );
    }
    const needed: Role = access === 'read' ? 'viewer' : access;
    if (!roleSatisfies(principal.role, needed)) {
      throw new ForbiddenException(`this route needs the ${needed} role; the key has ${principal.role}`);
    }
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

  private async principalFrom(header: string | undefined): Promise<Principal | null> {
    if (!header) return null;
    const m = /^Bearer\s+(\S{1,512})\s*$/i.exec(header);
    if (!m) return null;
    return this.keys.authenticate(m[1]);
  }
}

/**
 * Authentication as a Fastify onRequest hook: it runs once the route is matched and before the
 * body is read, so a request without a good key is answered 401/403 at once (and its connection
 * closed) instead of after its body has been received, parsed or streamed to disk.
 */
export function authenticateOnRequest(fastify: FastifyInstance, authenticator: RequestAuthenticator): void {
  fastify.addHook('onRequest', async (req, reply) => {
    const access = routeAccessOf(req);
    if (access === undefined) return; // not a Nest route with a declared rule: AuthGuard decides
    try {
      await authenticator.authorize(req as AuthedRequest, access);
    } catch (err) {
      // A body may still be on its way: do not wait for it to keep the connection alive.
      if (req.headers['content-length'] !== undefined || req.headers['transfer-encoding'] !== undefined) reply.header('connection', 'close');
      throw err;
    }
  });
}

/**
 * Global guard, the fallback of the onRequest hook: a route that declared its access was checked
 * there already; one that forgot is treated as a write (or a read for GET/HEAD), never as public.
 */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly authenticator: RequestAuthenticator,
  ) {}

  async canActivate(ctx: ExecutionContext): Promise<boolean> {
    if (ctx.getType() !== 'http') return true;
    const req = ctx.switchToHttp().getRequest<AuthedRequest>();
    if (req.accessChecked) return true;
    const declared = this.reflector.getAllAndOverride<Access | undefined>(ACCESS_KEY, [ctx.getHandler(), ctx.getClass()]);
    const access: Access = declared ?? (req.method === 'GET' || req.method === 'HEAD' ? 'read' : 'checker');
    await this.authenticator.authorize(req, access);
    return true;
  }
}
