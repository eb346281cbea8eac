import { Type } from 'class-transformer';
import { IsNumber, IsOptional, Max, Min, ValidateNested } from 'class-validator';
import { IsHttpUrl, IsIsoDateTime, IsText } from './validation';

/** DTO pieces shared by claims and evidence. */
export class SourceDto {
  @IsHttpUrl()
  url!: string;

  @IsOptional()
  @IsText(1, 200)
  publisher?: string;

  @IsOptional()
  @IsIsoDateTime()
  publishedAt?: string;
}

export class PlaceDto {
  @IsText(1, 200)
  name!: string;

  @IsOptional()
  @IsNumber({ allowNaN: false, allowInfinity: false }, { message: 'lat must be a number' })
  @Min(-90, { message: 'lat must be between -90 and 90' })
  @Max(90, { message: 'lat must be between -90 and 90' })
  lat?: number;

  @IsOptional()
  @IsNumber({ allowNaN: false, allowInfinity: false }, { message: 'lon must be a number' })
  @Min(-180, { message: 'lon must be between -180 and 180' })
  @Max(180, { message: 'lon must be between -180 and 180' })
  lon?: number;
}

export const NestedSource = () => [ValidateNested(), Type(() => SourceDto)];

/** Copies only the keys that are set, so stored events carry no undefined members. */
export function defined<T extends object>(obj: T): T {
  return Object.fromEntries(Object.entries(obj).filter(([, v]) => v !== undefined)) as T;
}
