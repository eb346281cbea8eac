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
import { CLAIM_KINDS, VERIFICATION_STATUSES, type ClaimKind, type Expectation, type VerificationStatus } from '../common/domain.types';
import { PlaceDto, SourceDto } from '../common/dto';
import { IsIsoDateTime, IsText } from '../common/validation';

export class SpeakerDto {
  @IsText(1, 200)
  name!: string;

  @IsOptional()
  @IsText(1, 200)
  affiliation?: string;
}

export class ScopePlaceDto extends PlaceDto {
  @IsOptional()
  @IsNumber({ allowNaN: false, allowInfinity: false }, { message: 'radiusKm must be a number' })
  @Min(0, { message: 'radiusKm must be between 0 and 20037' })
  @Max(20037, { message: 'radiusKm must be between 0 and 20037' })
  radiusKm?: number;
}

export class ScopeDto {
  @IsArray({ message: 'places must be an array' })
  @ArrayMinSize(1, { message: 'places must name at least one place' })
  @ArrayMaxSize(100, { message: 'places may hold at most 100 places' })
  @ValidateNested({ each: true })
  @Type(() => ScopePlaceDto)
  places!: ScopePlaceDto[];

  @IsArray({ message: 'indicators must be an array' })
  @ArrayMinSize(1, { message: 'indicators must hold at least one indicator' })
  @ArrayMaxSize(100, { message: 'indicators may hold at most 100 entries' })
  @IsText(1, 100, { each: true })
  indicators!: string[];

  @IsIsoDateTime()
  from!: string;

  @IsOptional()
  @IsIsoDateTime()
  until?: string;

  @IsIn(['absence', 'presence'], { message: 'expectation must be "absence" or "presence"' })
  expectation!: Expectation;
}

export class CreateClaimDto {
  @IsIn(CLAIM_KINDS as ClaimKind[], { message: 'kind must be "claim" or "pledge"' })
  kind!: ClaimKind;

  @IsText(1, 5000)
  statement!: string;

  @IsDefined({ message: 'speaker is required' })
  @IsObject({ message: 'speaker must be an object' })
  @ValidateNested()
  @Type(() => SpeakerDto)
  speaker!: SpeakerDto;

  @IsIsoDateTime()
  madeAt!: string;

  @IsDefined({ message: 'source is required' })
  @IsObject({ message: 'source must be an object' })
  @ValidateNested()
  @Type(() => SourceDto)
  source!: SourceDto;

  @IsOptional()
  @IsArray({ message: 'topics must be an array of strings' })
  @ArrayMaxSize(50, { message: 'topics may hold at most 50 entries' })
  @IsText(1, 100, { each: true })
  topics?: string[];

  @IsOptional()
  @IsObject({ message: 'scope must be an object' })
  @ValidateNested()
  @Type(() => ScopeDto)
  scope?: ScopeDto;
}

export class ListClaimsQueryDto {
  @IsOptional()
  @IsIn(CLAIM_KINDS as ClaimKind[], { message: 'kind must be "claim" or "pledge"' })
  kind?: ClaimKind;

  @IsOptional()
  @IsIn(VERIFICATION_STATUSES as VerificationStatus[], { message: `status must be one of ${VERIFICATION_STATUSES.join(', ')}` })
  status?: VerificationStatus;

  @IsOptional()
  @IsText(1, 200)
  speaker?: string;

  @IsOptional()
  @IsText(1, 200)
  q?: string;

  @IsOptional()
  @IsText(1, 100)
  topic?: string;

  @IsOptional()
  @Type(() => Number)
  @IsInt({ message: 'limit must be a whole number' })
  @Min(1, { message: 'limit must be between 1 and 500' })
  @Max(500, { message: 'limit must be between 1 and 500' })
  limit?: number;

  @IsOptional()
  @IsText(1, 100)
  cursor?: string;
}

export class ClaimViewQueryDto {
  @IsOptional()
  @IsIsoDateTime()
  asOf?: string;
}
