import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsDefined, IsIn, IsInt, IsNumber, IsObject, IsOptional, Max, Min, ValidateNested } from 'class-validator';
import { RELIABILITIES, STANCES, type Credibility, type Reliability, type Stance } from '../domain/types';
import { PlaceDto, SourceDto } from '../common/http/dto';
import { EX } from '../common/http/examples';
import { IsIsoDateTime, IsNotList, IsText } from '../common/http/validation';

/** A place of a report: where, and (matching-v2) how precisely. */
export class EvidencePlaceDto extends PlaceDto {
  @IsOptional()
  @IsNumber({ allowNaN: false, allowInfinity: false }, { message: 'precisionKm must be a number' })
  @Min(0, { message: 'precisionKm must be between 0 and 20000' })
  @Max(20000, { message: 'precisionKm must be between 0 and 20000' })
  @ApiPropertyOptional({
    type: Number,
    minimum: 0,
    maximum: 20000,
    description: 'matching-v2: the event is somewhere within this many km of lat/lon (needs lat and lon); above 0, the name no longer matches by itself',
    example: 25,
  })
  precisionKm?: number;
}

/** A field report: evidence without a stance, matched to pledges by the jobs. */
export class ReportDto {
  @IsText(1, 5000)
  @ApiProperty({ type: String, minLength: 1, maxLength: 5000, example: EX.evidenceSummary })
  summary!: string;

  @IsDefined({ message: 'source is required' })
  @IsObject({ message: 'source must be an object' })
  @ValidateNested()
  @Type(() => SourceDto)
  @ApiProperty({ type: () => SourceDto })
  source!: SourceDto;

  @IsIsoDateTime()
  @ApiProperty({ type: String, format: 'date-time', description: 'When it was observed; at most 5 minutes in the future', example: EX.observedAt })
  observedAt!: string;

  @IsOptional()
  @IsIsoDateTime()
  @ApiPropertyOptional({
    type: String,
    format: 'date-time',
    description: 'matching-v2: the event happened some time in [observedAt, observedUntil); must be after observedAt',
    example: '2022-03-31T00:00:00Z',
  })
  observedUntil?: string;

  @IsIn(RELIABILITIES as Reliability[], { message: 'reliability must be one of A, B, C, D, E, F' })
  @ApiProperty({ enum: RELIABILITIES, description: 'Source reliability, A (reliable) .. F (cannot be judged)', example: 'B' })
  reliability!: Reliability;

  @IsInt({ message: 'credibility must be a whole number from 1 to 6' })
  @Min(1, { message: 'credibility must be a whole number from 1 to 6' })
  @Max(6, { message: 'credibility must be a whole number from 1 to 6' })
  @ApiProperty({ type: 'integer', minimum: 1, maximum: 6, description: 'Information credibility, 1 (confirmed) .. 6 (cannot be judged)', example: 2 })
  credibility!: Credibility;

  @IsOptional()
  @IsArray({ message: 'places must be an array' })
  @ArrayMaxSize(100, { message: 'places may hold at most 100 places' })
  @IsNotList({ each: true, message: 'each place must be an object, not a list' })
  @ValidateNested({ each: true })
  @Type(() => EvidencePlaceDto)
  @ApiPropertyOptional({ type: () => [EvidencePlaceDto], maxItems: 100, example: [EX.chernihiv] })
  places?: EvidencePlaceDto[];

  @IsOptional()
  @IsArray({ message: 'indicators must be an array of strings' })
  @ArrayMaxSize(100, { message: 'indicators may hold at most 100 entries' })
  @IsText(1, 100, { each: true })
  @ApiPropertyOptional({ type: [String], maxItems: 100, example: ['shelling'] })
  indicators?: string[];
}

/** Evidence sent for one claim, with the checker's stance. */
export class EvidenceDto extends ReportDto {
  @IsIn(STANCES as Stance[], { message: 'stance must be "supports" or "contradicts"' })
  @ApiProperty({ enum: STANCES, example: 'contradicts' })
  stance!: Stance;
}

export class RetractDto {
  @IsText(1, 2000)
  @ApiProperty({ type: String, minLength: 1, maxLength: 2000, example: EX.reason })
  reason!: string;
}
