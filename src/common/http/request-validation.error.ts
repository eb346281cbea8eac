import type { ValidationError } from 'class-validator';
import type { FieldError } from './problem';

/** Bad input, with one entry per offending field (dotted path, e.g. `source.url`). */
export class RequestValidationError extends Error {
  constructor(
    readonly errors: FieldError[],
    readonly status = 400,
  ) {
    super(errors.map((e) => `${e.field}: ${e.message}`).join('; '));
  }

  static field(field: string, message: string, status = 400): RequestValidationError {
    return new RequestValidationError([{ field, message }], status);
  }
}

export function flattenValidationErrors(errors: ValidationError[], prefix = ''): FieldError[] {
  const out: FieldError[] = [];
  for (const err of errors) {
    const field = prefix ? `${prefix}.${err.property}` : err.property;
    for (const message of Object.values(err.constraints ?? {})) {
      // class-validator's whitelist message names the property only; say where it is.
      out.push({ field, message: message.startsWith('property ') ? `unknown field "${field}"` : message });
    }
    if (err.children?.length) out.push(...flattenValidationErrors(err.children, field));
  }
  return out;
}
