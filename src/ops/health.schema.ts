import { ApiProperty, ApiPropertyOptional, getSchemaPath } from '@nestjs/swagger';
import { EX } from '../common/http/examples';
import { HeadSchema, ProblemSchema } from '../common/http/schemas';

/*
 * GET /health: terminus' HealthCheckResult (built by @nestjs/terminus from the indicators in
 * health.ts), and its 503 as problem+json with the same members. Each check the service runs
 * is named here with the fields its indicator reports, up or down (a check that is down says
 * why in `message`); `info`, `error` and `details` map check names to these.
 */

export class HealthCheckItemSchema {
  @ApiProperty({ enum: ['up', 'down'], example: 'up' })
  status!: 'up' | 'down';

  @ApiPropertyOptional({ type: String, description: 'Why the check is down', example: 'Redis did not answer PING' })
  message?: string;
}

/** database and redis: a query / PING answered, and how fast. */
export class HealthTimedCheckSchema extends HealthCheckItemSchema {
  @ApiPropertyOptional({ type: 'integer', minimum: 0, example: 1 })
  responseTimeMs?: number;
}

export class HealthQueueWorkersSchema {
  @ApiProperty({ type: 'integer', minimum: 0, description: 'Live workers on the queue', example: 1 })
  workers!: number;

  @ApiProperty({ type: 'integer', minimum: 0, nullable: true, description: 'How long the oldest waiting job has waited; null when none waits', example: null })
  oldestWaitingMs!: number | null;
}

/** workers (with REDIS_URL): down when jobs have waited longer than WORKER_STALE_MS with no live worker. */
export class HealthWorkersCheckSchema extends HealthCheckItemSchema {
  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: { $ref: '#/components/schemas/HealthQueueWorkersSchema' },
    description: 'Per BullMQ queue',
    example: { 'match-pledge': { workers: 1, oldestWaitingMs: null } },
  })
  queues?: Record<string, HealthQueueWorkersSchema>;
}

/** dispatcher: how far the log dispatcher is behind the head (informational: lag never fails it). */
export class HealthDispatcherCheckSchema extends HealthCheckItemSchema {
  @ApiPropertyOptional({ enum: ['inline', 'bullmq'], example: 'inline' })
  mode?: string;

  @ApiPropertyOptional({ type: 'integer', minimum: 0, description: 'Last position handed to the jobs', example: 4 })
  checkpoint?: number;

  @ApiPropertyOptional({ type: 'integer', minimum: 0, example: 4 })
  head?: number;

  @ApiPropertyOptional({ type: 'integer', minimum: 0, description: 'Positions behind the head', example: 0 })
  lag?: number;

  @ApiPropertyOptional({ type: Boolean, example: true })
  delivering?: boolean;

  @ApiPropertyOptional({ type: String, nullable: true, example: null })
  lastError?: string | null;
}

export class HealthWholeChainSchema {
  @ApiProperty({ example: true })
  ok!: boolean;

  @ApiProperty({ type: 'integer', minimum: 0, example: 4 })
  checked!: number;

  @ApiProperty({ type: String, format: 'date-time', example: '2026-12-01T06:00:00.000Z' })
  at!: string;
}

/** chain: the newest events re-hashed (and the last whole-chain walk, once one finished). */
export class HealthChainCheckSchema extends HealthCheckItemSchema {
  @ApiPropertyOptional({ enum: ['tail', 'whole chain'], example: 'tail' })
  scope?: string;

  @ApiPropertyOptional({ type: String, example: 're-hashed the newest 100 events; GET /api/ledger/verify verifies the whole chain' })
  description?: string;

  @ApiPropertyOptional({ type: 'integer', minimum: 0, example: 4 })
  checked?: number;

  @ApiPropertyOptional({ type: 'integer', minimum: 0, example: 1 })
  fromPosition?: number;

  @ApiPropertyOptional({ type: () => HeadSchema })
  head?: HeadSchema;

  @ApiPropertyOptional({ type: 'integer', minimum: 1, description: 'Only when down', example: 3 })
  firstBadPosition?: number;

  @ApiPropertyOptional({ type: String, description: 'Only when down', example: 'hash does not match the event' })
  problem?: string;

  @ApiPropertyOptional({ type: () => HealthWholeChainSchema })
  wholeChain?: HealthWholeChainSchema;
}

/**
 * deadLetters: jobs that failed all their attempts (up, `degraded: true` and a `message` saying what to do, while
 * any wait; down only when the count cannot be read).
 */
export class HealthDeadLettersCheckSchema extends HealthCheckItemSchema {
  @ApiPropertyOptional({ type: 'integer', minimum: 0, description: 'Dead letters waiting for an admin retry', example: 0 })
  count?: number;

  @ApiPropertyOptional({ type: 'integer', minimum: 0, description: 'Dead letters re-enqueued, not yet done', example: 0 })
  retrying?: number;

  @ApiPropertyOptional({ type: Boolean, description: 'True while dead letters wait: worth a look, not a reason to take the instance out', example: false })
  degraded?: boolean;
}

/** The checks by name, as in info, error and details (redis and workers only with REDIS_URL). */
export class HealthChecksSchema {
  @ApiPropertyOptional({ type: () => HealthTimedCheckSchema })
  database?: HealthTimedCheckSchema;

  @ApiPropertyOptional({ type: () => HealthTimedCheckSchema })
  redis?: HealthTimedCheckSchema;

  @ApiPropertyOptional({ type: () => HealthWorkersCheckSchema })
  workers?: HealthWorkersCheckSchema;

  @ApiPropertyOptional({ type: () => HealthDispatcherCheckSchema })
  dispatcher?: HealthDispatcherCheckSchema;

  @ApiPropertyOptional({ type: () => HealthDeadLettersCheckSchema })
  deadLetters?: HealthDeadLettersCheckSchema;

  @ApiPropertyOptional({ type: () => HealthChainCheckSchema })
  chain?: HealthChainCheckSchema;
}

const CHECKS = { $ref: getSchemaPath(HealthChecksSchema) };

const UP_EXAMPLE = {
  database: { status: 'up', responseTimeMs: 1 },
  dispatcher: { status: 'up', mode: 'inline', checkpoint: 4, head: 4, lag: 0, delivering: true, lastError: null },
  deadLetters: { status: 'up', count: 0, retrying: 0, degraded: false },
  chain: {
    status: 'up',
    scope: 'tail',
    description: 're-hashed the newest 100 events; GET /api/ledger/verify verifies the whole chain',
    checked: 4,
    fromPosition: 1,
    head: { position: 4, hash: EX.hash },
  },
};

export class HealthSchema {
  @ApiProperty({ enum: ['ok'], example: 'ok' })
  status!: 'ok';

  @ApiProperty({ allOf: [CHECKS], description: 'The checks that are up (all of them, on a 200)', example: UP_EXAMPLE })
  info!: HealthChecksSchema;

  @ApiProperty({ allOf: [CHECKS], description: 'The checks that are down (none, on a 200)', example: {} })
  error!: HealthChecksSchema;

  @ApiProperty({ allOf: [CHECKS], description: 'Every check, up or down', example: UP_EXAMPLE })
  details!: HealthChecksSchema;
}

export class HealthProblemSchema extends ProblemSchema {
  @ApiProperty({ allOf: [CHECKS], description: 'The checks that are up', example: { database: { status: 'up', responseTimeMs: 1 } } })
  info!: HealthChecksSchema;

  @ApiProperty({ allOf: [CHECKS], description: 'The checks that are down, each with a message', example: { redis: { status: 'down', message: 'Redis did not answer PING' } } })
  error!: HealthChecksSchema;

  @ApiProperty({ allOf: [CHECKS], description: 'Every check, up or down' })
  details!: HealthChecksSchema;
}

/** A check as keyless callers of /health see it: its status only. */
export class HealthCheckStatusSchema {
  @ApiProperty({ enum: ['up', 'down'], example: 'up' })
  status!: 'up' | 'down';
}

const STATUS_ONLY = {
  type: 'object' as const,
  additionalProperties: { $ref: '#/components/schemas/HealthCheckStatusSchema' },
};

/** GET /health without a valid API key: the status and the check names, nothing the checks say. */
export class PublicHealthSchema {
  @ApiProperty({ enum: ['ok'], example: 'ok' })
  status!: 'ok';

  @ApiProperty({ ...STATUS_ONLY, description: 'The checks that are up', example: { database: { status: 'up' }, dispatcher: { status: 'up' }, chain: { status: 'up' } } })
  info!: Record<string, HealthCheckStatusSchema>;

  @ApiProperty({ ...STATUS_ONLY, description: 'The checks that are down (none, on a 200)', example: {} })
  error!: Record<string, HealthCheckStatusSchema>;

  @ApiProperty({ ...STATUS_ONLY, description: 'Every check, up or down', example: { database: { status: 'up' }, dispatcher: { status: 'up' }, chain: { status: 'up' } } })
  details!: Record<string, HealthCheckStatusSchema>;
}

/** GET /health's 503 without a valid API key: which checks are down, not why. */
export class PublicHealthProblemSchema extends ProblemSchema {
  @ApiProperty({ ...STATUS_ONLY, example: { database: { status: 'up' } } })
  info!: Record<string, HealthCheckStatusSchema>;

  @ApiProperty({ ...STATUS_ONLY, example: { redis: { status: 'down' } } })
  error!: Record<string, HealthCheckStatusSchema>;

  @ApiProperty({ ...STATUS_ONLY })
  details!: Record<string, HealthCheckStatusSchema>;
}
