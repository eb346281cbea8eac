import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { EX } from '../common/http/examples';
import { EVENT_TYPES, type EventType } from '../domain/events';
import { STANCES, VERIFICATION_STATUSES, type Stance, type VerificationStatus } from '../domain/types';

/* GET /api/claims/:id/timeline (dashboard helper): the points buildTimeline (timeline.ts) builds. */

export class TimelinePointSchema {
  @ApiProperty({ example: 3 })
  position!: number;

  @ApiProperty({ description: 'Ledger time: when the event was recorded', example: '2022-03-30T09:15:02.118Z' })
  at!: string;

  @ApiPropertyOptional({
    description:
      "World time: the claim's madeAt, the evidence's observedAt, or for a status change the latest observedAt of the evidence attached then; absent for events with none (reviews)",
    example: '2022-03-30T08:00:00Z',
  })
  observedAt?: string;

  @ApiProperty({ enum: EVENT_TYPES, example: 'EvidenceAttached' })
  type!: EventType;

  @ApiPropertyOptional({ format: 'uuid', example: EX.evidenceId })
  evidenceId?: string;

  @ApiPropertyOptional({ enum: STANCES, example: 'contradicts' })
  stance?: Stance;

  /** verdict-v1 over the evidence attached after this event (S and X, rounded to 3 decimals). */
  @ApiProperty({ example: 0 })
  support!: number;

  @ApiProperty({ example: 0.8 })
  contradict!: number;

  /** The recorded status after this event. */
  @ApiProperty({ enum: VERIFICATION_STATUSES, example: 'contradicted' })
  status!: VerificationStatus;

  /** Set when this event changed the status. */
  @ApiPropertyOptional({ type: 'object', additionalProperties: true, example: { from: 'unverified', to: 'contradicted' } })
  statusChange?: { from: VerificationStatus; to: VerificationStatus };
}

/** One step of the world-time series: a piece attached now, in the order of observation. */
export class WorldPointSchema {
  @ApiProperty({ example: '2022-03-30T08:00:00Z' })
  observedAt!: string;

  @ApiProperty({ format: 'uuid', example: EX.evidenceId })
  evidenceId!: string;

  @ApiProperty({ enum: STANCES, example: 'contradicts' })
  stance!: Stance;

  /** verdict-v1 over the pieces attached now that were observed up to this one. */
  @ApiProperty({ example: 0 })
  support!: number;

  @ApiProperty({ example: 0.8 })
  contradict!: number;
}

export class TimelineSchema {
  @ApiProperty({ format: 'uuid', example: EX.claimId })
  claimId!: string;

  @ApiProperty({ type: String, nullable: true, example: null })
  asOf!: string | null;

  @ApiProperty({ type: () => [TimelinePointSchema] })
  points!: TimelinePointSchema[];

  @ApiProperty({ type: () => [WorldPointSchema], description: 'World time: the evidence attached now (or at asOf), in the order it was observed, with the weights up to each piece' })
  world!: WorldPointSchema[];
}
