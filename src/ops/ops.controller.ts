import { ArgumentsHost, Catch, Controller, ExceptionFilter, Get, Header, Inject, Req, Res, ServiceUnavailableException, UnauthorizedException, UseFilters } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { ApiExtraModels, ApiOkResponse, ApiOperation, ApiProduces, ApiResponse, ApiTags, getSchemaPath } from '@nestjs/swagger';
import { HealthCheckService, type HealthCheckResult } from '@nestjs/terminus';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ApiKeysService } from '../auth/api-keys.service';
import { RequestAuthenticator } from '../auth/auth.guard';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { Public } from '../auth/roles';
import { toProblem } from '../common/http/problem.filter';
import { ApiProblem, ApiProblems } from '../common/http/openapi';
import { problem, sendProblem } from '../common/http/problem';
import { HealthChecks } from './health';
import { HealthCheckStatusSchema, HealthProblemSchema, HealthSchema, PublicHealthProblemSchema, PublicHealthSchema } from './health.schema';
import { OpsMetrics, metricsTokenMatches } from './metrics';

/**
 * Terminus answers a failed check with a 503 exception holding {status, info, error, details}.
 * Here that becomes RFC 9457 problem+json, with terminus' info/error/details kept as extension
 * members so an operator sees which check failed and why. Anything else goes the usual way.
 */
@Catch()
export class HealthProblemFilter implements ExceptionFilter {
  catch(err: unknown, host: ArgumentsHost): void {
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    if (err instanceof ServiceUnavailableException) {
      const result = err.getResponse() as Partial<HealthCheckResult>;
      const down = Object.keys(result.error ?? {});
      const detail =
        result.status === 'shutting_down'
          ? 'the service is shutting down'
          : `unhealthy: ${down.length ? down.join(', ') : 'a check'} ${down.length === 1 ? 'is' : 'are'} down`;
      reply.header('cache-control', 'no-store');
      sendProblem(reply, problem(503, detail, { info: result.info ?? {}, error: result.error ?? {}, details: result.details ?? {} }), {
        'retry-after': '5',
      });
      return;
    }
    const { problem: p, headers } = toProblem(err);
    sendProblem(reply, p, headers);
  }
}

/**
 * What keyless callers of /health see: the overall status and each check's name and up/down,
 * nothing the checks say (messages can name internal hosts, ports and file paths; lag and
 * positions describe the deployment). The full answer needs any valid API key.
 */
export function publicHealth<T extends Partial<HealthCheckResult>>(result: T): T {
  const names = (checks: Record<string, { status?: string } | undefined> | undefined) =>
    Object.fromEntries(Object.entries(checks ?? {}).map(([name, c]) => [name, { status: c?.status === 'up' ? 'up' : 'down' }]));
  return { ...result, info: names(result.info), error: names(result.error), details: names(result.details) };
}

@ApiTags('operations')
@ApiExtraModels(HealthSchema, HealthProblemSchema, PublicHealthSchema, PublicHealthProblemSchema, HealthCheckStatusSchema)
@Controller()
export class OpsController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly checks: HealthChecks,
    private readonly metrics: OpsMetrics,
    private readonly moduleRef: ModuleRef,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /**
   * Any valid API key (of any role) unlocks the full /health answer; a bad one is treated as none,
   * and counts as a failed authentication (AUTH_FAILURES_PER_MINUTE), so the two answers' shapes
   * cannot be used to test guesses faster than on any other route.
   */
  private async hasValidKey(req: FastifyRequest): Promise<boolean> {
    const m = /^Bearer\s+(\S{1,512})\s*$/i.exec(req.headers.authorization ?? '');
    if (!m) return false;
    let valid: boolean;
    try {
      valid = (await this.moduleRef.get(ApiKeysService, { strict: false }).authenticate(m[1])) !== null;
    } catch {
      return false; // the database is down: /health says so, in the public shape
    }
    if (!valid) await this.moduleRef.get(RequestAuthenticator, { strict: false }).countFailedAuthentication(req);
    return valid;
  }

  @Get('health')
  @Public()
  @Header('cache-control', 'no-store')
  @UseFilters(HealthProblemFilter)
  @ApiOperation({
    summary: 'Health: database, Redis (with REDIS_URL), dispatcher lag, chain tail',
    description:
      'Public. 200 with the terminus body when every check is up. 503 (application/problem+json, with the same ' +
      '`info`/`error`/`details` members) when the database or Redis does not answer, the newest events of the ' +
      'hash chain do not verify (or the last whole-chain walk found damage), or the service is shutting down. ' +
      'Without a valid API key the answer says little: the status and each check\'s name with up/down only ' +
      '(PublicHealthSchema); any valid key (any role, `Authorization: Bearer <key>`) gets what each check reports, ' +
      'including the messages of checks that are down, which can name internal hosts (HealthSchema). A bad key is ' +
      'answered like no key, and counts as a failed authentication: past AUTH_FAILURES_PER_MINUTE from one address, ' +
      'a bad key is 429. The dispatcher check reports the lag (positions behind the head) and never fails on lag ' +
      'alone. The chain check re-hashes the newest 100 events; GET /api/ledger/verify verifies the whole chain.',
  })
  @ApiOkResponse({
    description: 'Every check is up (HealthSchema with a valid key, PublicHealthSchema without)',
    content: { 'application/json': { schema: { anyOf: [{ $ref: getSchemaPath(HealthSchema) }, { $ref: getSchemaPath(PublicHealthSchema) }] } } },
  })
  @ApiResponse({
    status: 503,
    description: 'A check is down (HealthProblemSchema with a valid key, PublicHealthProblemSchema without)',
    content: {
      'application/problem+json': {
        schema: { anyOf: [{ $ref: getSchemaPath(HealthProblemSchema) }, { $ref: getSchemaPath(PublicHealthProblemSchema) }] },
      },
    },
  })
  @ApiProblem(429, 'A bad API key from an address that has sent too many (AUTH_FAILURES_PER_MINUTE); retry after Retry-After seconds', 'too many failed authentications from this address (at most 30 per minute); retry in 42 s')
  async check(@Req() req: FastifyRequest): Promise<HealthCheckResult> {
    const detailed = await this.hasValidKey(req);
    try {
      const result = await this.health.check(this.checks.indicators());
      return detailed ? result : publicHealth(result);
    } catch (err) {
      if (detailed || !(err instanceof ServiceUnavailableException)) throw err;
      throw new ServiceUnavailableException(publicHealth(err.getResponse() as HealthCheckResult));
    }
  }

  @Get('metrics')
  @Public()
  @ApiOperation({
    summary: 'Prometheus metrics (text exposition format)',
    description:
      'Public unless METRICS_TOKEN is set; then it needs `Authorization: Bearer <METRICS_TOKEN>` (401 otherwise). It holds ' +
      'counts and timings, no claim content, no keys. Scraping never makes the database count anything: the counts are ' +
      're-read at most every 5 s (claims by status, BullMQ job counts) or 1 s (dispatcher lag, head), however often ' +
      '/metrics is asked. Series: http_request_duration_seconds{method,route,code}, ' +
      'ledger_events_appended_total{type}, ledger_dispatch_lag_positions, ledger_head_position, ' +
      'ledger_verify_runs_total{mode}, ledger_verify_rehashed_events_total{mode}, ' +
      'jobs_completed_total{queue}, jobs_failed_total{queue} (failed attempts), jobs_duration_seconds{queue,outcome}, ' +
      'claims_by_status{status}, jobs_queue_jobs{queue,state} (with REDIS_URL), and the process_*/nodejs_* defaults. ' +
      'Counters are per process.',
  })
  @ApiProduces('text/plain')
  @ApiOkResponse({
    description: 'Prometheus text format 0.0.4',
    content: { 'text/plain': { schema: { type: 'string' }, example: 'ledger_events_appended_total{type="ClaimRecorded"} 2\n' } },
  })
  @ApiProblems(401)
  async scrape(@Req() req: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply): Promise<string> {
    if (this.config.metricsToken !== null && !metricsTokenMatches(req.headers.authorization, this.config.metricsToken)) {
      reply.header('www-authenticate', 'Bearer realm="metrics"');
      throw new UnauthorizedException('GET /metrics needs "Authorization: Bearer <METRICS_TOKEN>"');
    }
    const body = await this.metrics.render();
    reply.header('content-type', this.metrics.contentType());
    reply.header('cache-control', 'no-store');
    return body;
  }
}
