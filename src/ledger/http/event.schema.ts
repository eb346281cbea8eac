import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { EVENT_TYPES, type EventType, type StoredEvent } from '../../domain/events';
import { ROLES } from '../../domain/types';
import { EX, METADATA_EXAMPLE, PLEDGE_EXAMPLE } from '../../common/http/examples';

/*
 * The events as GET /api/events, GET /api/claims/:id/events and the SSE feed return them: the
 * stored events themselves (src/domain/events.ts), so the feeds' handlers are typed by these.
 */

export class ActorSchema {
  @ApiProperty({ enum: ['api-key', 'system'], example: 'api-key' })
  kind!: 'api-key' | 'system';

  @ApiPropertyOptional({ format: 'uuid', example: EX.apiKeyId, description: 'The API key id (never the key)' })
  id?: string;

  @ApiProperty({ example: 'newsroom desk' })
  name!: string;

  // A string, as the domain's Actor records it (always one of ROLES when written by a request).
  @ApiPropertyOptional({ enum: ROLES, example: 'checker' })
  role?: string;
}

export class EventMetadataSchema {
  @ApiProperty({ type: () => ActorSchema })
  actor!: ActorSchema;

  @ApiProperty({ example: EX.requestId, description: 'The HTTP request id (X-Request-Id) that caused the event, carried into the jobs it triggers' })
  correlationId!: string;

  @ApiProperty({
    type: String,
    nullable: true,
    example: null,
    description: 'For events written by a job: the ledger position of the event that caused the job; null for requests',
  })
  causationId!: string | null;
}

export class EventSchema {
  @ApiProperty({ example: 1, description: 'Gap-free from 1' })
  position!: number;

  @ApiProperty({ example: `claim-${EX.claimId}` })
  streamId!: string;

  @ApiProperty({ example: 1 })
  streamVersion!: number;

  @ApiProperty({ enum: EVENT_TYPES, example: 'ClaimRecorded' })
  type!: EventType;

  @ApiProperty({ type: 'object', additionalProperties: true, example: { ...PLEDGE_EXAMPLE } })
  data!: StoredEvent['data'];

  @ApiProperty({ type: () => EventMetadataSchema, example: METADATA_EXAMPLE })
  metadata!: EventMetadataSchema;

  @ApiProperty({ example: '2022-03-30T09:00:00.000Z' })
  recordedAt!: string;

  @ApiProperty({ example: '0'.repeat(64), description: '64 zeros for position 1' })
  prevHash!: string;

  @ApiProperty({ example: EX.hash, description: 'SHA-256 (hex) of the RFC 8785 canonical JSON of the envelope without hash' })
  hash!: string;
}

export class EventPageSchema {
  @ApiProperty({ type: () => [EventSchema] })
  items!: EventSchema[];

  @ApiProperty({ type: String, nullable: true, example: '50', description: 'The `after` to ask for next; null once the head is reached' })
  nextCursor!: string | null;
}

export class EventListSchema {
  @ApiProperty({ type: () => [EventSchema] })
  items!: EventSchema[];
}
