import { Type } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsDefined, IsIn, IsInt, IsObject, IsOptional, Max, Min, ValidateNested } from 'class-validator';
import { RELIABILITIES, STANCES, type Credibility, type Reliability, type Stance } from '../common/domain.types';
import { PlaceDto, SourceDto } from '../common/dto';
import { IsIsoDateTime, IsText } from '../common/validation';

/** A field report: evidence without a stance, matched to pledges by the jobs. */
export class ReportDto {
  @IsText(1, 5000)
  summary!: string;

  @IsDefined({ message: 'source is required' })
  @IsObject({ message: 'source must be an object' })
  @ValidateNested()
  @Type(() => SourceDto)
  source!: SourceDto;

  @IsIsoDateTime()
  observedAt!: string;

  @IsIn(RELIABILITIES as Reliability[], { message: 'reliability must be one of A, B, C, D, E, F' })
  reliability!: Reliability;

  @IsInt({ message: 'credibility must be a whole number from 1 to 6' })
  @Min(1, { message: 'credibility must be a whole number from 1 to 6' })
  @Max(6, { message: 'credibility must be a whole number from 1 to 6' })
  credibility!: Credibility;

  @IsOptional()
  @IsArray({ message: 'places must be an array' })
  @ArrayMaxSize(100, { message: 'places may hold at most 100 places' })
  @ValidateNested({ each: true })
  @Type(() => PlaceDto)
  places?: PlaceDto[];

  @IsOptional()
  @IsArray({ message: 'indicators must be an array of strings' })
  @ArrayMaxSize(100, { message: 'indicators may hold at most 100 entries' })
  @IsText(1, 100, { each: true })
  indicators?: string[];
}

/** Evidence sent for one claim, with the checker's stance. */
export class EvidenceDto extends ReportDto {
  @IsIn(STANCES as Stance[], { message: 'stance must be "supports" or "contradicts"' })
  stance!: Stance;
}

export class RetractDto {
  @IsText(1, 2000)
  reason!: string;
}
