import { ApiProperty } from '@nestjs/swagger';
import { plainToInstance } from 'class-transformer';
import { IsInt, Max, Min, validate } from 'class-validator';
import { RequestValidationError, flattenValidationErrors } from '../common/http/request-validation.error';
import { IsText } from '../common/http/validation';
import type { EvidenceSubmittedData } from '../domain/events';
import type { Credibility, Reliability } from '../domain/types';
import { ReportDto } from '../evidence/evidence.dto';
import { toEvidenceData } from '../evidence/evidence.service';
import type { RowError } from './acled';

/** One NDJSON line: a report as `POST /api/reports` takes it, plus the dataset row it is. */
export class NdjsonReportDto extends ReportDto {
  @IsText(1, 200)
  @ApiProperty({ type: String, minLength: 1, maxLength: 200, example: 'UKR12345' })
  externalId!: string;

  @IsInt({ message: 'revision must be a whole number' })
  @Min(0, { message: 'revision must be 0 or more' })
  @Max(Number.MAX_SAFE_INTEGER, { message: 'revision is too large' })
  @ApiProperty({ type: 'integer', minimum: 0, example: 1648771200 })
  revision!: number;
}

export type NdjsonResult =
  | { ok: true; externalId: string; revision: number; report: EvidenceSubmittedData }
  | { ok: false; error: RowError; notJson?: boolean };

/**
 * Maps one NDJSON line with the same rules as the API (class-validator on the same DTO, the same
 * cross-field checks); reliability and credibility default to the import's.
 */
export async function mapNdjsonLine(
  text: string,
  line: number,
  defaults: { dataset: string; reliability: Reliability; credibility: Credibility },
): Promise<NdjsonResult> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { ok: false, notJson: true, error: { line, field: 'line', message: 'not valid JSON' } };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { ok: false, notJson: true, error: { line, field: 'line', message: 'each line must be a JSON object' } };
  }
  const plain = { reliability: defaults.reliability, credibility: defaults.credibility, ...(value as Record<string, unknown>) };
  const dto = plainToInstance(NdjsonReportDto, plain);
  const problems = flattenValidationErrors(await validate(dto, { whitelist: true, forbidNonWhitelisted: true, forbidUnknownValues: true, validationError: { target: false, value: false } }));
  if (problems.length > 0) return { ok: false, error: { line, field: problems[0].field, message: problems[0].message } };
  try {
    const { externalId, revision } = dto;
    const data = toEvidenceData(dto, null);
    return { ok: true, externalId, revision, report: { ...data, external: { dataset: defaults.dataset, id: externalId, revision } } };
  } catch (err) {
    if (err instanceof RequestValidationError && err.errors[0]) return { ok: false, error: { line, ...err.errors[0] } };
    throw err;
  }
}
