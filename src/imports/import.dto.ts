import { ApiPropertyOptional, ApiProperty } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, Matches, Max, Min } from 'class-validator';
import { LimitQueryDto } from '../common/http/dto';
import { IsHttpUrl, IsText } from '../common/http/validation';
import { RELIABILITIES, type Credibility, type Reliability } from '../domain/types';
import { IMPORT_FORMATS, type ImportFormat } from './import-store';

/** POST /api/imports?format=&dataset=&datasetUrl=&reliability=&credibility= */
export class ImportQueryDto {
  @IsIn(IMPORT_FORMATS as ImportFormat[], { message: 'format must be one of acled, acled-deletions, ndjson' })
  @ApiProperty({ enum: IMPORT_FORMATS, example: 'acled' })
  format!: ImportFormat;

  @Matches(/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/, { message: 'dataset must be 1..100 letters, digits, dots, dashes or underscores' })
  @ApiProperty({ type: String, description: 'The dataset the rows belong to: rows are keyed by (dataset, row id)', example: 'acled-ukraine' })
  dataset!: string;

  @IsOptional()
  @IsHttpUrl()
  @ApiPropertyOptional({ type: String, format: 'uri', description: 'Each report\'s source URL is <datasetUrl>#<row id>', default: 'https://acleddata.com/data-export-tool/' })
  datasetUrl?: string;

  @IsOptional()
  @IsIn(RELIABILITIES as Reliability[], { message: 'reliability must be one of A, B, C, D, E, F' })
  @ApiPropertyOptional({ enum: RELIABILITIES, default: 'B' })
  reliability?: Reliability;

  @IsOptional()
  @Type(() => Number)
  @IsInt({ message: 'credibility must be a whole number from 1 to 6' })
  @Min(1, { message: 'credibility must be a whole number from 1 to 6' })
  @Max(6, { message: 'credibility must be a whole number from 1 to 6' })
  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: 6, default: 2 })
  credibility?: Credibility;
}

export class ImportListQueryDto extends LimitQueryDto {
  @IsOptional()
  @IsText(1, 200)
  @ApiPropertyOptional({ type: String, description: 'nextCursor of the previous page' })
  cursor?: string;
}
