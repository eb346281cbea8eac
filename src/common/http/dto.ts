import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { EX, SEED_PUBLISHER, SEED_URL } from './examples';
import { Transform, Type } from 'class-transformer';
import { IsInt, IsNumber, IsOptional, Max, Min, ValidateNested } from 'class-validator';
import { IsHttpUrl, IsIsoDateTime, IsText } from './validation';

/** DTO pieces shared by claims and evidence. */
export class SourceDto {
  @IsHttpUrl()
  @ApiProperty({ type: String, format: 'uri', maxLength: 2048, description: 'Absolute http or https URL', example: SEED_URL })
  url!: string;

  @IsOptional()
  @IsText(1, 200)
  @ApiPropertyOptional({ type: String, minLength: 1, maxLength: 200, example: SEED_PUBLISHER })
  publisher?: string;

  @IsOptional()
  @IsIsoDateTime()
  @ApiPropertyOptional({ type: String, format: 'date-time', description: 'ISO 8601 with a time zone', example: EX.publishedAt })
  publishedAt?: string;
}

export class PlaceDto {
  @IsText(1, 200)
  @ApiProperty({ type: String, minLength: 1, maxLength: 200, example: EX.chernihiv.name })
  name!: string;

  @IsOptional()
  @IsNumber({ allowNaN: false, allowInfinity: false }, { message: 'lat must be a number' })
  @Min(-90, { message: 'lat must be between -90 and 90' })
  @Max(90, { message: 'lat must be between -90 and 90' })
  @ApiPropertyOptional({ type: Number, minimum: -90, maximum: 90, description: 'Give lat and lon together, or neither', example: EX.chernihiv.lat })
  lat?: number;

  @IsOptional()
  @IsNumber({ allowNaN: false, allowInfinity: false }, { message: 'lon must be a number' })
  @Min(-180, { message: 'lon must be between -180 and 180' })
  @Max(180, { message: 'lon must be between -180 and 180' })
  @ApiPropertyOptional({ type: Number, minimum: -180, maximum: 180, example: EX.chernihiv.lon })
  lon?: number;
}

export const NestedSource = () => [ValidateNested(), Type(() => SourceDto)];

/** Copies only the keys that are set, so stored events carry no undefined members. */
export function defined<T extends object>(obj: T): T {
  return Object.fromEntries(Object.entries(obj).filter(([, v]) => v !== undefined)) as T;
}

/**
 * A whole number in a query string: decimal digits only. `Number()` would also take "0x10",
 * "1e2", " 5" and "" (as 0), and round 20-digit values; such text stays a string here, so the
 * field's @IsInt refuses it with its own message.
 */
export const DecimalInt = () =>
  Transform(({ value }: { value: unknown }) => (typeof value === 'string' && /^\d{1,15}$/.test(value) ? Number(value) : value));

/** `?limit=` as the contract defines it: default 50, 1..500. */
export class LimitQueryDto {
  @IsOptional()
  @DecimalInt()
  @IsInt({ message: 'limit must be a whole number' })
  @Min(1, { message: 'limit must be between 1 and 500' })
  @Max(500, { message: 'limit must be between 1 and 500' })
  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: 500, default: 50, description: 'Page size' })
  limit?: number;
}
