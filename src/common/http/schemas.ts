import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import type { Expectation } from '../../domain/types';
import { EX, SEED_PUBLISHER, SEED_URL } from './examples';

/*
 * Response-schema pieces several views share, for the OpenAPI document. Each view's own schema
 * sits beside the code that builds it (e.g. src/evidence/evidence-view.schema.ts), and that code
 * is typed by it, so a view and its documented shape cannot drift apart unnoticed. Request
 * bodies are the class-validator DTOs themselves, decorated in place.
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
  expectation!: Expectation;
}

/** The last event of a stream or of the whole log. */
export class HeadSchema {
  @ApiProperty({ example: 4 })
  position!: number;

  @ApiProperty({ example: EX.hash, nullable: true, type: String })
  hash!: string | null;
}
