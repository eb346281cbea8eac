import type { ValidationError } from 'class-validator';
import type { FieldError } from './problem';

/** Bad input, with one entry per offending field (its path, e.g. `source.url`, `scope.places[0].lat`). */
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

/** The path of `property` under `prefix`: array items by index (`topics[1]`, `scope.places[0].lat`), members dotted. */
export function fieldPath(prefix: string, property: string): string {
  if (!prefix) return property;
  return /^\d+$/.test(property) ? `${prefix}[${property}]` : `${prefix}.${property}`;
}

/** A message about one item of an array (an `each` validator's, e.g. "topics[1] must be a string") names that item. */
const ITEM_MESSAGE = /^([A-Za-z_$][\w$]*)\[(\d+)\] /;

export function flattenValidationErrors(errors: ValidationError[], prefix = ''): FieldError[] {
  const out: FieldError[] = [];
  for (const err of errors) {
    const field = fieldPath(prefix, err.property);
    for (const message of messagesOf(err.constraints ?? {})) {
      // class-validator's whitelist message names the property only; say where it is.
      if (message.startsWith('property ')) {
        out.push({ field, message: `unknown field "${field}"` });
        continue;
      }
      const item = ITEM_MESSAGE.exec(message);
      out.push({ field: item && item[1] === err.property ? `${field}[${item[2]}]` : field, message });
    }
    if (err.children?.length) out.push(...flattenValidationErrors(err.children, field));
  }
  return out;
}

/** Constraints that say what type a value needs: when one fails, the others add nothing. */
const TYPE_CONSTRAINTS = new Set(['isInt', 'isNumber', 'isString', 'isObject', 'isArray', 'isBoolean']);

/**
 * One field's problem, said once: a missing value is only "required"; a value of the wrong type
 * only names the type it needs (not also the range it would then have to be in); repeated
 * messages (min and max share one) appear once.
 */
function messagesOf(constraints: Record<string, string>): string[] {
  let keys = Object.keys(constraints);
  if (keys.includes('isDefined')) keys = ['isDefined'];
  else if (keys.some((k) => TYPE_CONSTRAINTS.has(k))) keys = keys.filter((k) => TYPE_CONSTRAINTS.has(k) || k === 'whitelistValidation');
  return [...new Set(keys.map((k) => constraints[k]))];
}
