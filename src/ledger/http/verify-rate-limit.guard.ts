import { CanActivate, ExecutionContext, Inject, Injectable, Optional } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { APP_CONFIG, type AppConfig } from '../../config/app-config';
import { RateLimiter, RequestBudget, limitKey, tooManyRequests } from '../../auth/rate-limit';
import type { Principal } from '../../auth/roles';

/**
 * GET /api/ledger/verify's own budget (VERIFY_RATE_LIMIT_PER_MINUTE per API key, or per client
 * address without a key), on top of the general read limit: verify is the one read that can
 * make the process hash events, so it gets a much smaller allowance than the other reads.
 * Admin keys are exempt (operators' and tests' tooling verifies often; full walks are theirs).
 * Shared by all API processes through Redis when there is one, like the other budgets.
 */
@Injectable()
export class VerifyRateLimitGuard implements CanActivate {
  private readonly budget: RequestBudget;

  // The limiter is there wherever the route is served (the API's AuthModule); a worker process
  // loads this module without serving HTTP, and gets a process-local budget it never uses.
  constructor(@Inject(APP_CONFIG) config: AppConfig, @Optional() limiter?: RateLimiter) {
    this.budget = limiter ? limiter.budget('verify', config.verifyRateLimitPerMinute) : new RequestBudget('verify', config.verifyRateLimitPerMinute);
  }

  async canActivate(ctx: ExecutionContext): Promise<boolean> {
    const req = ctx.switchToHttp().getRequest<FastifyRequest & { principal?: Principal }>();
    // Admin keys are not limited here: they may ask for full walks anyway, and tools run with them.
    if (req.principal?.role === 'admin') return true;
    const answer = await this.budget.take(limitKey(req));
    if (answer.allowed) return true;
    throw tooManyRequests(
      ctx.switchToHttp().getResponse<FastifyReply>(),
      answer.retryAfterSec,
      `rate limit: at most ${this.budget.perMinute} calls of GET /api/ledger/verify per minute per API key (or address); retry in ${answer.retryAfterSec} s`,
    );
  }
}
