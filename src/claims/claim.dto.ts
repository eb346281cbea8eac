import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsDefined,
  IsIn,
  IsInt,
  IsNumber,
  IsObject,
  IsOptional,
  Max,
  Min,
  ValidateNested,
} from 'class-validator';
import { CLAIM_KINDS, VERIFICATION_STATUSES, type ClaimKind, type Expectation, type VerificationStatus } from '../domain/types';
import { LimitQueryDto, PlaceDto, SourceDto } from '../common/http/dto';
import { EX, PLEDGE_EXAMPLE } from '../common/http/examples';
import { IsIsoDateTime, IsNotList, IsText } from '../common/http/validation';

export class SpeakerDto {
  @IsText(1, 200)
  @ApiProperty({ type: String, minLength: 1, maxLength: 200, example: EX.speaker.name })
  name!: string;

  @IsOptional()
  @IsText(1, 200)
  @ApiPropertyOptional({ type: String, minLength: 1, maxLength: 200, example: EX.speaker.affiliation })
  affiliation?: string;
}

export class ScopePlaceDto extends PlaceDto {
  @IsOptional()
  @IsNumber({ allowNaN: false, allowInfinity: false }, { message: 'radiusKm must be a number' })
  @Min(0, { message: 'radiusKm must be between 0 and 20037' })
  @Max(20037, { message: 'radiusKm must be between 0 and 20037' })
  @ApiPropertyOptional({ type: Number, minimum: 0, maximum: 20037, description: 'Reports within this distance of lat/lon match the place', example: 30 })
  radiusKm?: number;
}

export class ScopeDto {
  @IsArray({ message: 'places must be an array' })
  @ArrayMinSize(1, { message: 'places must name at least one place' })
  @ArrayMaxSize(100, { message: 'places may hold at most 100 places' })
  @IsNotList({ each: true, message: 'each place must be an object, not a list' })
  @ValidateNested({ each: true })
  @Type(() => ScopePlaceDto)
  @ApiProperty({ type: () => [ScopePlaceDto], minItems: 1, maxItems: 100, example: PLEDGE_EXAMPLE.scope.places })
  places!: ScopePlaceDto[];

  @IsArray({ message: 'indicators must be an array' })
  @ArrayMinSize(1, { message: 'indicators must hold at least one indicator' })
  @ArrayMaxSize(100, { message: 'indicators may hold at most 100 entries' })
  @IsText(1, 100, { each: true })
  @ApiProperty({ type: [String], minItems: 1, maxItems: 100, description: 'What a report must mention to match (e.g. shelling)', example: PLEDGE_EXAMPLE.scope.indicators })
  indicators!: string[];

  @IsIsoDateTime()
  @ApiProperty({ type: String, format: 'date-time', example: EX.madeAt })
  from!: string;

  @IsOptional()
  @IsIsoDateTime()
  @ApiPropertyOptional({ type: String, format: 'date-time', description: 'Later than from', example: '2022-04-30T00:00:00+03:00' })
  until?: string;

  @IsIn(['absence', 'presence'], { message: 'expectation must be "absence" or "presence"' })
  @ApiProperty({ enum: ['absence', 'presence'], description: 'absence: a matching report contradicts the pledge; presence: it supports it', example: 'absence' })
  expectation!: Expectation;
}

export class CreateClaimDto {
  @IsIn(CLAIM_KINDS as ClaimKind[], { message: 'kind must be "claim" or "pledge"' })
  @ApiProperty({ enum: CLAIM_KINDS, example: 'pledge' })
  kind!: ClaimKind;

  @IsText(1, 5000)
  @ApiProperty({ type: String, minLength: 1, maxLength: 5000, example: EX.statement })
  statement!: string;

  @IsDefined({ message: 'speaker is required' })
  @IsObject({ message: 'speaker must be an object' })
  @ValidateNested()
  @Type(() => SpeakerDto)
  @ApiProperty({ type: () => SpeakerDto })
  speaker!: SpeakerDto;

  @IsIsoDateTime()
  @ApiProperty({ type: String, format: 'date-time', description: 'ISO 8601 with a time zone', example: EX.madeAt })
  madeAt!: string;

  @IsDefined({ message: 'source is required' })
  @IsObject({ message: 'source must be an object' })
  @ValidateNested()
  @Type(() => SourceDto)
  @ApiProperty({ type: () => SourceDto })
  source!: SourceDto;

  @IsOptional()
  @IsArray({ message: 'topics must be an array of strings' })
  @ArrayMaxSize(50, { message: 'topics may hold at most 50 entries' })
  @IsText(1, 100, { each: true })
  @ApiPropertyOptional({ type: [String], maxItems: 50, example: PLEDGE_EXAMPLE.topics })
  topics?: string[];

  @IsOptional()
  @IsObject({ message: 'scope must be an object' })
  @ValidateNested()
  @Type(() => ScopeDto)
  @ApiPropertyOptional({ type: () => ScopeDto, description: 'Pledges only: where and what the matcher compares field reports against' })
  scope?: ScopeDto;
}

export class ListClaimsQueryDto extends LimitQueryDto {
  @IsOptional()
  @IsIn(CLAIM_KINDS as ClaimKind[], { message: 'kind must be "claim" or "pledge"' })
  @ApiPropertyOptional({ enum: CLAIM_KINDS })
  kind?: ClaimKind;

  @IsOptional()
  @IsIn(VERIFICATION_STATUSES as VerificationStatus[], { message: `status must be one of ${VERIFICATION_STATUSES.join(', ')}` })
  @ApiPropertyOptional({ enum: VERIFICATION_STATUSES })
  status?: VerificationStatus;

  @IsOptional()
  @IsText(1, 200)
  @ApiPropertyOptional({ type: String, description: 'Speaker name (case and accents ignored)', example: EX.speaker.name })
  speaker?: string;

  @IsOptional()
  @IsText(1, 200)
  @ApiPropertyOptional({ type: String, description: 'Text in the statement', example: 'military activity' })
  q?: string;

  @IsOptional()
  @IsText(1, 100)
  @ApiPropertyOptional({ type: String, example: 'Ukraine' })
  topic?: string;

  @IsOptional()
  @IsText(1, 100)
  @ApiPropertyOptional({ type: String, description: 'nextCursor of the previous page' })
  cursor?: string;
}

export class ClaimViewQueryDto {
  @IsOptional()
  @IsIsoDateTime()
  @ApiPropertyOptional({ type: String, format: 'date-time', description: 'The view as the ledger knew it at this time (recorded time)', example: '2022-03-30T12:00:00Z' })
  asOf?: string;
}
