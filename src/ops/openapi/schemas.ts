import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { CLAIM_KINDS, RELIABILITIES, STANCES, VERIFICATION_STATUSES } from '../../domain/types';
import { EVENT_TYPES } from '../../domain/events';
import { ROLES } from '../../auth/roles';
import { EX, METADATA_EXAMPLE, PLEDGE_EXAMPLE, SEED_PUBLISHER, SEED_URL, SOURCE_EXAMPLE } from './examples';

/*
 * Response shapes, for the OpenAPI document only (the services return plain objects of these
 * shapes). Request bodies are the class-validator DTOs themselves, decorated in place.
 */

export class FieldErrorSchema {
  @ApiProperty({ description: 'The field (dotted path for nested ones, or a header name)', example: 'source.url' })
  field!: string;

  @ApiProperty({ example: 'url must be an absolute http or https URL' })
  message!: string;
}

/** RFC 9457 problem details: every error of the API, as application/problem+json. */
export class ProblemSchema {
  @ApiProperty({ example: 'urn:claim-ledger:problem:bad-request' })
  type!: string;

  @ApiProperty({ example: 'Bad Request' })
  title!: string;

  @ApiProperty({ example: 400 })
  status!: number;

  @ApiProperty({ example: 'url must be an absolute http or https URL' })
  detail!: string;

  @ApiPropertyOptional({ type: () => [FieldErrorSchema], description: 'Present when the problem is about named fields' })
  errors?: FieldErrorSchema[];
}

export class SourceSchema {
  @ApiProperty({ example: SEED_URL })
  url!: string;

  @ApiPropertyOptional({ example: SEED_PUBLISHER })
  publisher?: string;

  @ApiPropertyOptional({ example: EX.publishedAt })
  publishedAt?: string;
}

export class SpeakerSchema {
  @ApiProperty({ example: EX.speaker.name })
  name!: string;

  @ApiPropertyOptional({ example: EX.speaker.affiliation })
  affiliation?: string;
}

export class ClaimCreatedSchema {
  @ApiProperty({ format: 'uuid', example: EX.claimId })
  id!: string;

  @ApiProperty({ enum: CLAIM_KINDS, example: 'pledge' })
  kind!: string;

  @ApiProperty({ example: 1, description: 'Stream version; send it back as If-Match: "1"' })
  version!: number;

  @ApiProperty({ enum: ['unverified'], example: 'unverified' })
  status!: string;

  @ApiProperty({ example: 1, description: 'Ledger position of the ClaimRecorded event' })
  position!: number;
}

export class EvidenceAcceptedSchema {
  @ApiProperty({ format: 'uuid', example: EX.evidenceId })
  evidenceId!: string;

  @ApiProperty({ example: 2, description: 'Ledger position of the event written' })
  position!: number;
}

export class VerdictSchema {
  @ApiProperty({ example: 0, description: 'Weighted support' })
  support!: number;

  @ApiProperty({ example: 1, description: 'Weighted contradiction' })
  contradict!: number;

  @ApiProperty({ type: [String], example: [EX.evidenceId], description: 'Evidence ids the status rests on' })
  basis!: string[];

  @ApiProperty({ example: 'verdict-v1' })
  rule!: string;
}

export class ClaimEvidenceItemSchema {
  @ApiProperty({ format: 'uuid', example: EX.evidenceId })
  evidenceId!: string;

  @ApiProperty({ enum: STANCES, example: 'contradicts' })
  stance!: string;

  @ApiProperty({ enum: ['checker', 'matcher'], example: 'checker' })
  attachedBy!: string;

  @ApiProperty({ example: EX.evidenceSummary })
  summary!: string;

  @ApiProperty({ type: () => SourceSchema })
  source!: SourceSchema;

  @ApiProperty({ enum: RELIABILITIES, example: 'B' })
  reliability!: string;

  @ApiProperty({ minimum: 1, maximum: 6, example: 2 })
  credibility!: number;

  @ApiProperty({ example: EX.observedAt })
  observedAt!: string;

  @ApiProperty({ example: false })
  retracted!: boolean;

  @ApiPropertyOptional({ example: true, description: 'false once detached (after a retraction)' })
  attached?: boolean;

  @ApiPropertyOptional({ example: '2022-03-30T09:15:02.118Z' })
  attachedAt?: string;

  @ApiPropertyOptional({ example: 3 })
  attachedPosition?: number;

  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: true,
    description: 'For matcher attachments: which scope place and indicator matched',
    example: { name: 'scope-match-v1', place: 'Chernihiv', indicator: 'shelling', by: 'name' },
  })
  rule?: Record<string, unknown>;
}

export class StatusHistoryItemSchema {
  @ApiProperty({ enum: VERIFICATION_STATUSES, example: 'contradicted' })
  status!: string;

  @ApiProperty({ example: '2022-03-30T09:15:02.118Z' })
  at!: string;

  @ApiProperty({ example: 4 })
  position!: number;
}

export class HeadSchema {
  @ApiProperty({ example: 4 })
  position!: number;

  @ApiProperty({ example: EX.hash, nullable: true, type: String })
  hash!: string | null;
}

export class ScopePlaceSchema {
  @ApiProperty({ example: 'Chernihiv' })
  name!: string;

  @ApiPropertyOptional({ example: EX.chernihiv.lat })
  lat?: number;

  @ApiPropertyOptional({ example: EX.chernihiv.lon })
  lon?: number;

  @ApiPropertyOptional({ example: 30 })
  radiusKm?: number;
}

export class ScopeSchema {
  @ApiProperty({ type: () => [ScopePlaceSchema] })
  places!: ScopePlaceSchema[];

  @ApiProperty({ type: [String], example: ['shelling', 'airstrike'] })
  indicators!: string[];

  @ApiProperty({ example: EX.madeAt })
  from!: string;

  @ApiPropertyOptional({ example: '2022-04-30T00:00:00+03:00' })
  until?: string;

  @ApiProperty({ enum: ['absence', 'presence'], example: 'absence' })
  expectation!: string;
}

export class ClaimListItemSchema {
  @ApiProperty({ format: 'uuid', example: EX.claimId })
  id!: string;

  @ApiProperty({ enum: CLAIM_KINDS, example: 'pledge' })
  kind!: string;

  @ApiProperty({ example: EX.statement })
  statement!: string;

  @ApiProperty({ type: () => SpeakerSchema })
  speaker!: SpeakerSchema;

  @ApiProperty({ example: EX.madeAt })
  madeAt!: string;

  @ApiProperty({ type: () => SourceSchema })
  source!: SourceSchema;

  @ApiProperty({ type: [String], example: PLEDGE_EXAMPLE.topics })
  topics!: string[];

  @ApiProperty({ enum: VERIFICATION_STATUSES, example: 'contradicted' })
  status!: string;

  @ApiProperty({ example: 4, description: 'The claim stream version; GET /api/claims/:id also sends it as ETag: "4"' })
  version!: number;

  @ApiProperty({ example: 1 })
  position!: number;

  @ApiProperty({ example: '2022-03-30T09:00:00.000Z' })
  recordedAt!: string;

  @ApiProperty({ example: '2022-03-30T09:15:02.118Z' })
  updatedAt!: string;
}

/** The claim view: a list item plus its scope, verdict, evidence and status history. */
export class ClaimViewSchema extends ClaimListItemSchema {
  @ApiProperty({ type: () => ScopeSchema, nullable: true, description: 'Pledges only; null for claims' })
  scope!: ScopeSchema | null;

  @ApiProperty({ type: () => VerdictSchema })
  verdict!: VerdictSchema;

  @ApiProperty({ type: () => [ClaimEvidenceItemSchema] })
  evidence!: ClaimEvidenceItemSchema[];

  @ApiProperty({ type: () => [StatusHistoryItemSchema] })
  statusHistory!: StatusHistoryItemSchema[];

  @ApiPropertyOptional({ type: () => HeadSchema, description: 'The last event of the claim stream' })
  head?: HeadSchema;
}

export class ClaimPageSchema {
  @ApiProperty({ type: () => [ClaimListItemSchema] })
  items!: ClaimListItemSchema[];

  @ApiProperty({ type: String, nullable: true, example: 'eyJwIjoxfQ', description: 'Pass as ?cursor= for the next page; null on the last page' })
  nextCursor!: string | null;
}

export class ActorSchema {
  @ApiProperty({ enum: ['api-key', 'system'], example: 'api-key' })
  kind!: string;

  @ApiPropertyOptional({ format: 'uuid', example: EX.apiKeyId, description: 'The API key id (never the key)' })
  id?: string;

  @ApiProperty({ example: 'newsroom desk' })
  name!: string;

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
  type!: string;

  @ApiProperty({ type: 'object', additionalProperties: true, example: { ...PLEDGE_EXAMPLE } })
  data!: Record<string, unknown>;

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

export class VerifyReportSchema {
  @ApiProperty({ example: true })
  ok!: boolean;

  @ApiProperty({ example: 4, description: 'Events whose hash was recomputed' })
  checked!: number;

  @ApiProperty({ type: () => HeadSchema })
  head!: HeadSchema;

  @ApiPropertyOptional({ example: 3, description: 'Only when ok is false' })
  firstBadPosition?: number;

  @ApiPropertyOptional({ example: 'hash does not match the event', description: 'Only when ok is false' })
  problem?: string;
}

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
  stance!: string;

  @ApiProperty({ enum: ['checker', 'matcher'], example: 'checker' })
  attachedBy!: string;

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
}

export class EvidenceViewSchema {
  @ApiProperty({ format: 'uuid', example: EX.evidenceId })
  id!: string;

  @ApiProperty({ enum: ['evidence', 'report'], example: 'evidence' })
  kind!: string;

  @ApiProperty({ type: String, format: 'uuid', nullable: true, example: EX.claimId, description: 'null for a report' })
  claimId!: string | null;

  @ApiPropertyOptional({ enum: STANCES, example: 'contradicts', description: 'Absent for a report' })
  stance?: string;

  @ApiProperty({ example: EX.evidenceSummary })
  summary!: string;

  @ApiProperty({ type: () => SourceSchema, example: SOURCE_EXAMPLE })
  source!: SourceSchema;

  @ApiProperty({ example: EX.observedAt })
  observedAt!: string;

  @ApiProperty({ enum: RELIABILITIES, example: 'B' })
  reliability!: string;

  @ApiProperty({ minimum: 1, maximum: 6, example: 2 })
  credibility!: number;

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
}

export class ApiKeyViewSchema {
  @ApiProperty({ format: 'uuid', example: EX.apiKeyId })
  id!: string;

  @ApiProperty({ example: 'newsroom desk' })
  name!: string;

  @ApiProperty({ enum: ROLES, example: 'checker' })
  role!: string;

  @ApiProperty({ example: '2022-03-30T08:00:00.000Z' })
  createdAt!: string;

  @ApiProperty({ type: String, nullable: true, example: null })
  revokedAt!: string | null;
}

export class ApiKeyCreatedSchema {
  @ApiProperty({ format: 'uuid', example: EX.apiKeyId })
  id!: string;

  @ApiProperty({ example: 'newsroom desk' })
  name!: string;

  @ApiProperty({ enum: ROLES, example: 'checker' })
  role!: string;

  @ApiProperty({
    type: String,
    nullable: true,
    example: 'clk_5b0e9f471a2c4d6e8f3b9c7a0d1e2f35_Xq0v…',
    description: 'The key, shown this once (only its hash is stored); null when an Idempotency-Key replay answers',
  })
  key!: string | null;

  @ApiProperty({ example: '2022-03-30T08:00:00.000Z' })
  createdAt!: string;
}

export class ApiKeyListSchema {
  @ApiProperty({ type: () => [ApiKeyViewSchema] })
  items!: ApiKeyViewSchema[];
}

export class HealthCheckItemSchema {
  @ApiProperty({ enum: ['up', 'down'], example: 'up' })
  status!: string;
}

export class HealthSchema {
  @ApiProperty({ enum: ['ok'], example: 'ok' })
  status!: string;

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
  info!: Record<string, unknown>;

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

export class ClaimReviewSchema {
  @ApiProperty({ example: 'https://schema.org' })
  '@context'!: string;

  @ApiProperty({ example: 'ClaimReview' })
  '@type'!: string;

  @ApiProperty({ example: `http://localhost:3000/api/claims/${EX.claimId}` })
  url!: string;

  @ApiProperty({ example: EX.statement })
  claimReviewed!: string;

  @ApiProperty({ example: '2022-03-30T09:15:02.118Z' })
  datePublished!: string;

  @ApiProperty({ type: 'object', additionalProperties: true, example: { '@type': 'Organization', name: 'claim-ledger', url: 'http://localhost:3000' } })
  author!: Record<string, unknown>;

  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    description: 'ratingValue: refuted 1, contradicted 2, disputed 3, supported 4, confirmed 5',
    example: { '@type': 'Rating', ratingValue: 2, bestRating: 5, worstRating: 1, alternateName: 'contradicted' },
  })
  reviewRating!: Record<string, unknown>;

  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    example: { '@type': 'Claim', author: { '@type': 'Person', name: EX.speaker.name }, datePublished: EX.madeAt, appearance: { '@type': 'CreativeWork', url: SEED_URL } },
  })
  itemReviewed!: Record<string, unknown>;
}

export class TimelinePointSchema {
  @ApiProperty({ example: 3 })
  position!: number;

  @ApiProperty({ example: '2022-03-30T09:15:02.118Z' })
  at!: string;

  @ApiProperty({ enum: EVENT_TYPES, example: 'EvidenceAttached' })
  type!: string;

  @ApiPropertyOptional({ format: 'uuid', example: EX.evidenceId })
  evidenceId?: string;

  @ApiPropertyOptional({ enum: STANCES, example: 'contradicts' })
  stance?: string;

  @ApiProperty({ example: 0 })
  support!: number;

  @ApiProperty({ example: 0.8 })
  contradict!: number;

  @ApiProperty({ enum: VERIFICATION_STATUSES, example: 'contradicted' })
  status!: string;

  @ApiPropertyOptional({ type: 'object', additionalProperties: true, example: { from: 'unverified', to: 'contradicted' } })
  statusChange?: Record<string, unknown>;
}

export class TimelineSchema {
  @ApiProperty({ format: 'uuid', example: EX.claimId })
  claimId!: string;

  @ApiProperty({ type: String, nullable: true, example: null })
  asOf!: string | null;

  @ApiProperty({ type: () => [TimelinePointSchema] })
  points!: TimelinePointSchema[];
}

export class RebuildAcceptedSchema {
  @ApiProperty({ enum: ['started', 'already-running'], example: 'started' })
  status!: string;
}

/** Every schema above, for `extraModels` (so $refs resolve even where no route names one). */
export const OPENAPI_SCHEMAS = [
  FieldErrorSchema,
  ProblemSchema,
  HealthCheckItemSchema,
  HealthSchema,
  HealthProblemSchema,
];
