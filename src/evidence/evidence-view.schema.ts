import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { EX, SOURCE_EXAMPLE } from '../common/http/examples';
import { SourceSchema } from '../common/http/schemas';
import {
  RELIABILITIES,
  STANCES,
  type AttachedBy,
  type Credibility,
  type Reliability,
  type Stance,
} from '../domain/types';

/* GET /api/evidence/:id: the evidence view that EvidenceService.view builds. */

export class RetractionSchema {
  @ApiProperty({ example: EX.reason })
  reason!: string;

  @ApiProperty({ example: '2022-03-31T10:00:00.000Z' })
  at!: string;

  @ApiProperty({ example: 7 })
  position!: number;
}

export class AttachmentSchema {
  @ApiProperty({ format: 'uuid', example: EX.claimId })
  claimId!: string;

  @ApiProperty({ enum: STANCES, example: 'contradicts' })
  stance!: Stance;

  @ApiProperty({ enum: ['checker', 'matcher'], example: 'checker' })
  attachedBy!: AttachedBy;

  @ApiProperty({ example: '2022-03-30T09:15:02.118Z' })
  attachedAt!: string;

  @ApiProperty({ example: 3 })
  attachedPosition!: number;

  @ApiProperty({ example: true })
  attached!: boolean;

  @ApiProperty({ type: Number, nullable: true, example: null })
  detachedPosition!: number | null;
}

export class EvidencePlaceSchema {
  @ApiProperty({ example: EX.chernihiv.name })
  name!: string;

  @ApiPropertyOptional({ example: EX.chernihiv.lat })
  lat?: number;

  @ApiPropertyOptional({ example: EX.chernihiv.lon })
  lon?: number;

  @ApiPropertyOptional({ example: 25, description: 'matching-v2: the event is somewhere within this many km of lat/lon' })
  precisionKm?: number;
}

/** Where an imported report comes from: the dataset row and its revision (import v1). */
export class ExternalRefSchema {
  @ApiProperty({ example: 'acled-ukraine' })
  dataset!: string;

  @ApiProperty({ example: 'UKR12345' })
  id!: string;

  @ApiProperty({ example: 1648771200, description: "The row's last edit upstream (ACLED: timestamp); higher wins" })
  revision!: number;

  @ApiPropertyOptional({ type: 'object', additionalProperties: { type: 'string' }, description: "The row's other columns" })
  fields?: Record<string, string>;
}

export class EvidenceViewSchema {
  @ApiProperty({ format: 'uuid', example: EX.evidenceId })
  id!: string;

  @ApiProperty({ enum: ['evidence', 'report'], example: 'evidence' })
  kind!: 'evidence' | 'report';

  @ApiProperty({ type: String, format: 'uuid', nullable: true, example: EX.claimId, description: 'null for a report' })
  claimId!: string | null;

  @ApiPropertyOptional({ enum: STANCES, example: 'contradicts', description: 'Absent for a report' })
  stance?: Stance;

  @ApiProperty({ example: EX.evidenceSummary })
  summary!: string;

  @ApiProperty({ type: () => SourceSchema, example: SOURCE_EXAMPLE })
  source!: SourceSchema;

  @ApiProperty({ example: EX.observedAt })
  observedAt!: string;

  @ApiPropertyOptional({ example: '2022-03-31T00:00:00Z', description: 'matching-v2: the event happened some time in [observedAt, observedUntil)' })
  observedUntil?: string;

  @ApiPropertyOptional({ type: () => ExternalRefSchema, description: 'Imported reports: the dataset row (the latest revision)' })
  external?: ExternalRefSchema;

  @ApiProperty({ enum: RELIABILITIES, example: 'B' })
  reliability!: Reliability;

  // type given: swc (the tests' compiler) emits no runtime type for the Credibility alias.
  @ApiProperty({ type: Number, minimum: 1, maximum: 6, example: 2 })
  credibility!: Credibility;

  @ApiPropertyOptional({ type: () => [EvidencePlaceSchema] })
  places?: EvidencePlaceSchema[];

  @ApiPropertyOptional({ type: [String], example: ['shelling'] })
  indicators?: string[];

  @ApiProperty({ example: '2022-03-30T09:10:00.000Z' })
  recordedAt!: string;

  @ApiProperty({ example: 2 })
  position!: number;

  @ApiProperty({ example: false })
  retracted!: boolean;

  @ApiProperty({ type: () => RetractionSchema, nullable: true })
  retraction!: RetractionSchema | null;

  @ApiProperty({ type: () => [AttachmentSchema] })
  attachedTo!: AttachmentSchema[];

  @ApiProperty({ example: 1 })
  version!: number;

  @ApiProperty({ example: 0, description: 'How many revisions (EvidenceRevised) the report has had; the facts shown are the latest' })
  revisions!: number;

  @ApiProperty({ type: String, nullable: true, example: null, description: 'When the latest revision was recorded' })
  revisedAt!: string | null;
}
