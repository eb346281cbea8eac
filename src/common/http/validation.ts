import { BadRequestException, ValidationPipe, type ArgumentMetadata, type ValidationPipeOptions } from '@nestjs/common';
import { ValidationOptions, registerDecorator, type ValidationArguments } from 'class-validator';
import { maxHeaderSize } from 'node:http';
import { FALLBACK, compiledBody } from './compiled-validation';
import { problem } from './problem';
import { RequestValidationError, flattenValidationErrors } from './request-validation.error';

const ISO_DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(Z|[+-](\d{2}):(\d{2}))$/;

/** ISO 8601 date-time with a time zone, and a real calendar date (no 2022-02-30, no hour 25). */
export function isIsoDateTimeWithZone(value: unknown): value is string {
  if (typeof value !== 'string' || value.length > 40) return false;
  const m = ISO_DATE_TIME.exec(value);
  if (!m) return false;
  const [, y, mo, d, h, mi, s, , oh, om] = m;
  const year = Number(y), month = Number(mo), day = Number(d);
  if (month < 1 || month > 12 || day < 1) return false;
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (day > daysInMonth) return false;
  if (Number(h) > 23 || Number(mi) > 59 || (s !== undefined && Number(s) > 59)) return false;
  if (oh !== undefined && (Number(oh) > 23 || Number(om) > 59)) return false;
  return Number.isFinite(Date.parse(value));
}

export function IsIsoDateTime(options?: ValidationOptions): PropertyDecorator {
  return (target, propertyName) =>
    registerDecorator({
      name: 'isIsoDateTime',
      target: target.constructor,
      propertyName: propertyName as string,
      options,
      validator: {
        validate: (v: unknown) => isIsoDateTimeWithZone(v),
        defaultMessage: (a?: ValidationArguments) =>
          `${a?.property} must be an ISO 8601 date-time with a time zone, e.g. 2022-03-29T14:00:00Z`,
      },
    });
}

// Control characters other than tab, newline and carriage return have no place in a statement.
// eslint-disable-next-line no-control-regex
const FORBIDDEN_CONTROL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/;

/** A string of min..max characters, not blank, well-formed Unicode, without control characters. */
export function IsText(min: number, max: number, options?: ValidationOptions): PropertyDecorator {
  return (target, propertyName) =>
    registerDecorator({
      name: 'isText',
      target: target.constructor,
      propertyName: propertyName as string,
      options,
      constraints: [min, max],
      validator: {
        validate: (v: unknown) => isText(v, min, max),
        defaultMessage: (a?: ValidationArguments) => {
          // With `each`, the value is the whole array: name the first bad item by its index.
          if (options?.each && Array.isArray(a?.value)) {
            const i = a.value.findIndex((item) => textProblem(item, min, max) !== null);
            if (i >= 0) return `${a.property}[${i}] ${textProblem(a.value[i], min, max)}`;
          }
          return `${a?.property} ${textProblem(a?.value, min, max)}`;
        },
      },
    });
}

/**
 * textProblem(v, min, max) === null, without its allocations (this runs on every text field of
 * every write): a string of n UTF-16 units has n/2..n characters, so counting them is needed only
 * near the bounds; and only a string that starts with white space can be blank.
 */
export function isText(v: unknown, min: number, max: number): boolean {
  if (typeof v !== 'string' || !v.isWellFormed() || FORBIDDEN_CONTROL.test(v)) return false;
  const units = v.length;
  if (units > max || Math.ceil(units / 2) < min) {
    const length = codePoints(v);
    if (length < min || length > max) return false;
  }
  if (min > 0) {
    const first = v.charCodeAt(0);
    if (!(first > 0x20 && first < 0xa0) && v.trim().length === 0) return false;
  }
  return true;
}

/** Characters (code points) of a well-formed string. */
function codePoints(v: string): number {
  let n = v.length;
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i);
    if (c >= 0xdc00 && c <= 0xdfff) n--; // the second half of a pair
  }
  return n;
}

export function textProblem(v: unknown, min: number, max: number): string | null {
  if (typeof v !== 'string') return 'must be a string';
  if (!v.isWellFormed()) return 'must be well-formed Unicode (no lone surrogates)';
  if (FORBIDDEN_CONTROL.test(v)) return 'must not contain control characters';
  const length = [...v].length;
  if (length < min || (min > 0 && v.trim().length === 0)) return `must not be blank (at least ${min} character${min === 1 ? '' : 's'})`;
  if (length > max) return `must be at most ${max} characters`;
  return null;
}

/** An absolute http(s) URL. */
/**
 * Not a list. With `each`, on lists of objects: class-validator's ValidateNested walks a list
 * found inside the list as if it were the list itself, so `places: [[{…}]]` would pass.
 */
export function IsNotList(options?: ValidationOptions): PropertyDecorator {
  return (target, propertyName) =>
    registerDecorator({
      name: 'isNotList',
      target: target.constructor,
      propertyName: propertyName as string,
      options,
      validator: { validate: (v: unknown) => !Array.isArray(v) },
    });
}

export function IsHttpUrl(options?: ValidationOptions): PropertyDecorator {
  return (target, propertyName) =>
    registerDecorator({
      name: 'isHttpUrl',
      target: target.constructor,
      propertyName: propertyName as string,
      options,
      validator: {
        validate: (v: unknown) => {
          if (typeof v !== 'string' || v.length > 2048 || !v.isWellFormed()) return false;
          try {
            const u = new URL(v);
            return (u.protocol === 'http:' || u.protocol === 'https:') && u.hostname.length > 0;
          } catch {
            return false;
          }
        },
        defaultMessage: (a?: ValidationArguments) => `${a?.property} must be an absolute http or https URL`,
      },
    });
}

export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function assertUuid(value: string, field: string): string {
  if (!UUID.test(value)) throw RequestValidationError.field(field, `${field} must be a UUID`);
  return value.toLowerCase();
}

/** No DTO nests deeper than a handful of levels; this bound keeps hostile bodies off the validator's recursion. */
export const MAX_INPUT_DEPTH = 32;

/**
 * True when objects/arrays in `value` nest deeper than `max`: some object or array sits `max`
 * levels below the top. The recursion stops at `max` levels, so a hostile body cannot overflow it.
 */
export function nestedDeeperThan(value: unknown, max: number): boolean {
  if (value === null || typeof value !== 'object') return false;
  if (max <= 0) return true;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) if (nestedDeeperThan(value[i], max - 1)) return true;
    return false;
  }
  for (const key in value) {
    if (Object.hasOwn(value, key) && nestedDeeperThan((value as Record<string, unknown>)[key], max - 1)) return true;
  }
  return false;
}

/**
 * Everything that walks a body recursively (class-transformer and class-validator, the
 * Idempotency-Key's canonical hash) overflowed the stack on a body nested a few thousand levels
 * deep, well under the 1 MiB limit, and answered 500. One check refuses such bodies before any
 * guard or pipe runs; a streamed upload (an import) is not a parsed value and is left alone.
 */
export function refuseDeepBodies(fastify: { addHook(name: 'preValidation', hook: (req: { body?: unknown }) => Promise<void>): unknown }): void {
  fastify.addHook('preValidation', async (req) => {
    const body = req.body;
    if (typeof body !== 'object' || body === null || typeof (body as { pipe?: unknown }).pipe === 'function') return;
    if (nestedDeeperThan(body, MAX_INPUT_DEPTH)) {
      throw RequestValidationError.field('body', `body is nested more than ${MAX_INPUT_DEPTH} levels deep`);
    }
  });
}

/**
 * Query strings and params are flat, but the same bound holds for anything else a pipe is given
 * (bodies: refuseDeepBodies). A body its DTO's compiled check accepts skips class-transformer and
 * class-validator (compiled-validation.ts); any other body, and every error, takes the full pipe.
 */
class DepthBoundedValidationPipe extends ValidationPipe {
  constructor(
    options: ValidationPipeOptions,
    private readonly compiledBodies: boolean,
  ) {
    super(options);
  }

  override transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    if (metadata.type === 'body') {
      const check = this.compiledBodies && metadata.metatype ? compiledBody(metadata.metatype) : null;
      if (check) {
        const dto = check(value);
        if (dto !== FALLBACK) return Promise.resolve(dto);
      }
    } else if (nestedDeeperThan(value, MAX_INPUT_DEPTH)) {
      const field = metadata.data ?? metadata.type;
      return Promise.reject(RequestValidationError.field(field, `${field} is nested more than ${MAX_INPUT_DEPTH} levels deep`));
    }
    return super.transform(value, metadata);
  }
}

/**
 * DTO validation for every route: unknown fields rejected, errors name their field.
 * `compiledBodies: false` validates every body with class-validator (the tests compare the two).
 */
export function createValidationPipe({ compiledBodies = true }: { compiledBodies?: boolean } = {}): ValidationPipe {
  return new DepthBoundedValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    forbidUnknownValues: true,
    transform: true,
    transformOptions: { enableImplicitConversion: false },
    validationError: { target: false, value: false },
    exceptionFactory: (errors) => {
      const flat = flattenValidationErrors(errors);
      if (flat.length === 0) return new BadRequestException('invalid request');
      return new RequestValidationError(flat);
    },
  }, compiledBodies);
}

/**
 * Node reads a request line and its headers up to `http.maxHeaderSize` bytes together (16 KiB)
 * and refuses more (HPE_HEADER_OVERFLOW, answered 431). When the request line itself is most of
 * that, the URL is what is too long: 414, saying the limit.
 */
export const URL_TOO_LONG = `the URL is too long: the request line and headers may be at most ${maxHeaderSize} bytes together`;

/** The 414 problem for an over-long URL (written to the socket: Node refused the request before Fastify saw it). */
export function urlTooLongProblem() {
  return problem(414, URL_TOO_LONG, { title: 'URI Too Long', type: 'urn:claim-ledger:problem:uri-too-long', errors: [{ field: 'url', message: URL_TOO_LONG }] });
}

/**
 * Was the head refused for its request line (414) rather than its headers (431)? `raw` is the data
 * Node's parser was reading: a request line that starts there and runs over half the limit.
 */
export function requestLineTooLong(raw: Buffer | undefined): boolean {
  const half = Math.floor(maxHeaderSize / 2);
  if (!raw || raw.length <= half) return false;
  const head = raw.subarray(0, half + 2).toString('latin1');
  if (!/^[A-Z]{3,10} /.test(head)) return false;
  const end = head.indexOf('\r\n');
  return end === -1 || end >= half;
}
