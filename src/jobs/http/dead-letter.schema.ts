import { ApiProperty } from '@nestjs/swagger';
import { EX } from '../../common/http/examples';
import { DEAD_LETTER_STATES, type DeadLetterState } from '../dead-letters';
import { QUEUE_NAMES, type QueueName } from '../job-plan';

/* Answers of /api/admin/dead-letters (dead-letters.controller.ts). */

const EXAMPLE_ID = `evidence-attach_${EX.hash.slice(0, 12)}_42`;

export class DeadLetterJobDataSchema {
  @ApiProperty({ type: 'integer', example: 42, description: 'The log position of the event that planned the job' })
  position!: number;

  @ApiProperty({ example: EX.requestId })
  correlationId!: string;

  @ApiProperty({ required: false, format: 'uuid', example: EX.evidenceId })
  evidenceId?: string;

  @ApiProperty({ required: false, format: 'uuid', example: EX.claimId })
  claimId?: string;
}

export class DeadLetterSchema {
  @ApiProperty({ example: EXAMPLE_ID, description: 'The job id (`<queue>_<hash12>_<position>`); a retry re-enqueues under this same id' })
  id!: string;

  @ApiProperty({ enum: QUEUE_NAMES, example: 'evidence-attach', description: 'The kind of job (its BullMQ queue)' })
  queue!: QueueName;

  @ApiProperty({ type: () => DeadLetterJobDataSchema })
  data!: DeadLetterJobDataSchema;

  @ApiProperty({ type: 'integer', example: 42, description: 'The log position of the event that planned the job' })
  position!: number;

  @ApiProperty({ example: `evidence ${EX.evidenceId} is not in the ledger`, description: 'The last attempt\'s error' })
  lastError!: string;

  @ApiProperty({ type: 'integer', example: 8, description: 'Attempts made in all, over every retry' })
  attempts!: number;

  @ApiProperty({
    enum: DEAD_LETTER_STATES,
    example: 'dead',
    description: 'dead: waits for an admin; retrying: re-enqueued, not done yet; resolved: a retry completed',
  })
  state!: DeadLetterState;

  @ApiProperty({ example: '2026-12-01T06:00:00.000Z', description: 'When the job last failed for good' })
  failedAt!: string;

  @ApiProperty({ type: 'integer', example: 0, description: 'Retries asked for' })
  retries!: number;

  @ApiProperty({ nullable: true, type: String, example: null })
  retriedAt!: string | null;

  @ApiProperty({ nullable: true, type: String, example: null })
  resolvedAt!: string | null;
}

export class DeadLetterCountsSchema {
  @ApiProperty({ type: 'integer', example: 1 })
  dead!: number;

  @ApiProperty({ type: 'integer', example: 0 })
  retrying!: number;

  @ApiProperty({ type: 'integer', example: 3 })
  resolved!: number;
}

export class DeadLetterPageSchema {
  @ApiProperty({ type: () => [DeadLetterSchema] })
  items!: DeadLetterSchema[];

  @ApiProperty({ nullable: true, type: String, example: null, description: 'Pass as ?cursor= for the next page; null on the last' })
  nextCursor!: string | null;

  @ApiProperty({ type: () => DeadLetterCountsSchema, description: 'Dead letters per state, over all pages' })
  counts!: DeadLetterCountsSchema;
}
