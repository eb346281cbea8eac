import { CanActivate, ExecutionContext, ForbiddenException, Inject, Injectable, UnauthorizedException } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { ApiKeysService } from './api-keys.service';
import { ACCESS_KEY, roleSatisfies, type Access, type Principal, type Role } from './roles';

export type AuthedRequest = FastifyRequest & { principal?: Principal };

/** Global guard: 401 for no or unknown key, 403 for a known key with too weak a role. */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly keys: ApiKeysService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async canActivate(ctx: ExecutionContext): Promise<boolean> {
    if (ctx.getType() !== 'http') return true;
    const req = ctx.switchToHttp().getRequest<AuthedRequest>();
    const declared = this.reflector.getAllAndOverride<Access | undefined>(ACCESS_KEY, [ctx.getHandler(), ctx.getClass()]);
    // A route that forgot to declare its access is treated as a write, never as public.
    const access: Access = declared ?? (req.method === 'GET' || req.method === 'HEAD' ? 'read' : 'checker');
    if (access === 'public') return true;

    const header = req.headers.authorization;
    const principal = await this.principalFrom(header);
    if (principal) req.principal = principal;
    if (access === 'read' && this.config.publicRead) return true;
    if (!principal) {
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
    return true;
  }

  private async principalFrom(header: string | undefined): Promise<Principal | null> {
    if (!header) return null;
    const m = /^Bearer\s+(\S{1,512})\s*$/i.exec(header);
    if (!m) return null;
    return this.keys.authenticate(m[1]);
  }
}
