import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IMPORT_FORMATS, type ImportFormat, type ImportState } from './import-store';

/* GET /api/imports/:id and GET /api/imports: the import view that ImportsService builds. */

export class ImportAcceptedSchema {
  @ApiProperty({ format: 'uuid', example: '6f1c1f0e-2b7a-4d8e-9f63-1a2b3c4d5e6f' })
  importId!: string;
}

export class ImportRowErrorSchema {
  @ApiProperty({ example: 17, description: 'Line of the file (1: the header)' })
  line!: number;

  @ApiProperty({ example: 'latitude' })
  field!: string;

  @ApiProperty({ example: 'latitude must be a number between -90 and 90, got "95.2"' })
  message!: string;
}

export class ImportViewSchema {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty({ example: 'acled-ukraine' })
  dataset!: string;

  @ApiProperty({ enum: IMPORT_FORMATS, example: 'acled' })
  format!: ImportFormat;

  @ApiProperty({ enum: ['queued', 'running', 'done', 'failed'], example: 'done' })
  state!: ImportState;

  @ApiProperty({ example: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855', description: 'SHA-256 of the uploaded file' })
  sha256!: string;

  @ApiProperty({ example: 1048576 })
  bytes!: number;

  @ApiProperty({ example: 200000, description: 'Data rows read so far' })
  rows!: number;

  @ApiProperty({ example: 199990 })
  accepted!: number;

  @ApiProperty({ example: 0 })
  revised!: number;

  @ApiProperty({ example: 0 })
  unchanged!: number;

  @ApiProperty({ example: 0 })
  stale!: number;

  @ApiProperty({ example: 0 })
  retracted!: number;

  @ApiProperty({ example: 10 })
  rejected!: number;

  @ApiPropertyOptional({ type: () => [ImportRowErrorSchema], description: 'The first 1000 rejected rows (absent in lists)' })
  errors?: ImportRowErrorSchema[];

  @ApiProperty({ type: String, nullable: true, example: null, description: 'Why a failed import failed' })
  failure!: string | null;

  @ApiProperty({ example: '2026-12-01T06:00:00.000Z' })
  createdAt!: string;

  @ApiProperty({ type: String, nullable: true })
  startedAt!: string | null;

  @ApiProperty({ type: String, nullable: true })
  finishedAt!: string | null;
}

export class ImportListSchema {
  @ApiProperty({ type: () => [ImportViewSchema] })
  items!: ImportViewSchema[];

  @ApiProperty({ type: String, nullable: true })
  nextCursor!: string | null;
}
