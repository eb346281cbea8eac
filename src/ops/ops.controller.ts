import { ArgumentsHost, Catch, Controller, ExceptionFilter, Get, Header, Res, ServiceUnavailableException, UseFilters } from '@nestjs/common';
import { ApiExtraModels, ApiOkResponse, ApiOperation, ApiProduces, ApiResponse, ApiTags, getSchemaPath } from '@nestjs/swagger';
import { HealthCheckService, type HealthCheckResult } from '@nestjs/terminus';
import type { FastifyReply } from 'fastify';
import { Public } from '../auth/roles';
import { toProblem } from '../common/http/problem.filter';
import { problem, sendProblem } from '../common/http/problem';
import { HealthChecks } from './health';
import { HealthProblemSchema, HealthSchema } from './health.schema';
import { OpsMetrics } from './metrics';

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

@ApiTags('operations')
@ApiExtraModels(HealthSchema, HealthProblemSchema)
@Controller()
export class OpsController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly checks: HealthChecks,
    private readonly metrics: OpsMetrics,
  ) {}

  @Get('health')
  @Public()
  @Header('cache-control', 'no-store')
  @UseFilters(HealthProblemFilter)
  @ApiOperation({
    summary: 'Health: database, Redis (with REDIS_URL), dispatcher lag, chain tail',
    description:
      'Public. 200 with the terminus body when every check is up. 503 (application/problem+json, with the same ' +
      '`info`/`error`/`details` members) when the database or Redis does not answer, the newest events of the ' +
      'hash chain do not verify, or the service is shutting down. The dispatcher check reports the lag ' +
      '(positions behind the head) and never fails on lag alone. The chain check re-hashes the newest 100 events; ' +
      'GET /api/ledger/verify walks the whole chain.',
  })
  @ApiOkResponse({ description: 'Every check is up', type: HealthSchema })
  @ApiResponse({
    status: 503,
    description: 'A check is down',
    content: { 'application/problem+json': { schema: { $ref: getSchemaPath(HealthProblemSchema) } } },
  })
  check(): Promise<HealthCheckResult> {
    return this.health.check(this.checks.indicators());
  }

  @Get('metrics')
  @Public()
  @ApiOperation({
    summary: 'Prometheus metrics (text exposition format)',
    description:
      'Public, like /health: it holds counts and timings, no claim content, no keys. Keep it off the public ' +
      'internet at the proxy if that matters. Series: http_request_duration_seconds{method,route,code}, ' +
      'ledger_events_appended_total{type}, ledger_dispatch_lag_positions, ledger_head_position, ' +
      'jobs_completed_total{queue}, jobs_failed_total{queue} (failed attempts), jobs_duration_seconds{queue,outcome}, ' +
      'claims_by_status{status}, jobs_queue_jobs{queue,state} (with REDIS_URL), and the process_*/nodejs_* defaults. ' +
      'Counters are per process.',
  })
  @ApiProduces('text/plain')
  @ApiOkResponse({
    description: 'Prometheus text format 0.0.4',
    content: { 'text/plain': { schema: { type: 'string' }, example: 'ledger_events_appended_total{type="ClaimRecorded"} 2\n' } },
  })
  async scrape(@Res({ passthrough: true }) reply: FastifyReply): Promise<string> {
    const body = await this.metrics.render();
    reply.header('content-type', this.metrics.contentType());
    reply.header('cache-control', 'no-store');
    return body;
  }
}
