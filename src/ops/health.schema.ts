import { ApiProperty } from '@nestjs/swagger';
import { EX } from '../common/http/examples';
import { ProblemSchema } from '../common/http/schemas';

/*
 * GET /health: terminus' HealthCheckResult (built by @nestjs/terminus from the indicators in
 * health.ts), and its 503 as problem+json with the same members.
 */

export class HealthCheckItemSchema {
  @ApiProperty({ enum: ['up', 'down'], example: 'up' })
  status!: 'up' | 'down';
}

export class HealthSchema {
  @ApiProperty({ enum: ['ok'], example: 'ok' })
  status!: 'ok';

  @ApiProperty({
    type: 'object',
    additionalProperties: { $ref: '#/components/schemas/HealthCheckItemSchema' },
    description: 'The checks that are up (terminus shape)',
    example: {
      database: { status: 'up', responseTimeMs: 1 },
      dispatcher: { status: 'up', mode: 'inline', checkpoint: 4, head: 4, lag: 0, delivering: true, lastError: null },
      chain: { status: 'up', scope: 'tail', checked: 4, fromPosition: 1, head: { position: 4, hash: EX.hash } },
    },
  })
  info!: Record<string, HealthCheckItemSchema & Record<string, unknown>>;

  @ApiProperty({ type: 'object', additionalProperties: true, example: {}, description: 'The checks that are down' })
  error!: Record<string, unknown>;

  @ApiProperty({ type: 'object', additionalProperties: true, description: 'Every check, up or down' })
  details!: Record<string, unknown>;
}

export class HealthProblemSchema extends ProblemSchema {
  @ApiProperty({ type: 'object', additionalProperties: true, example: { database: { status: 'up' } } })
  info!: Record<string, unknown>;

  @ApiProperty({ type: 'object', additionalProperties: true, example: { redis: { status: 'down', message: 'Redis did not answer PING' } } })
  error!: Record<string, unknown>;

  @ApiProperty({ type: 'object', additionalProperties: true })
  details!: Record<string, unknown>;
}
