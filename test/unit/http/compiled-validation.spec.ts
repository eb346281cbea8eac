import 'reflect-metadata';
import { ValidationPipe, type ArgumentMetadata } from '@nestjs/common';
import { Type } from 'class-transformer';
import { IsDefined, IsIn, IsInt, IsOptional, ValidateIf, ValidateNested, getMetadataStorage } from 'class-validator';
import fc from 'fast-check';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { inspect, isDeepStrictEqual } from 'node:util';
import { FALLBACK, compiledBody, whyNotCompiled } from '../../../src/common/http/compiled-validation';
import { DecimalInt } from '../../../src/common/http/dto';
import { RequestValidationError } from '../../../src/common/http/request-validation.error';
import { IsText, createValidationPipe } from '../../../src/common/http/validation';
import { CreateClaimDto } from '../../../src/claims/claim.dto';
import { EvidenceDto, ReportDto, RetractDto } from '../../../src/evidence/evidence.dto';
import { evidenceBody, pledgeBody } from '../../support/app';

/*
 * The compiled body check (src/common/http/compiled-validation.ts) must never accept what the
 * class-validator pipe refuses, and must hand the handler the very value the pipe would: checked
 * here for every body DTO of every controller on random bodies, valid and broken, built from the
 * DTOs' own rules. The oracle is the pipe itself (createValidationPipe with compiledBodies: false).
 */

// ---------------------------------------------------------------------------------------------
// Every body DTO, found the way Nest finds it: @Body() parameters of the controllers' routes.

const ROUTE_ARGS = '__routeArguments__'; // @nestjs/common's ROUTE_ARGS_METADATA
const BODY = 3; // RouteParamtypes.BODY

function controllerFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? controllerFiles(join(dir, e.name)) : e.name.endsWith('.controller.ts') ? [join(dir, e.name)] : [],
  );
}

function bodyDtos(): Map<string, Function> {
  const found = new Map<string, Function>();
  for (const file of controllerFiles(join(__dirname, '../../../src'))) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    for (const exported of Object.values(require(file) as Record<string, unknown>)) {
      if (typeof exported !== 'function') continue;
      for (const method of Object.getOwnPropertyNames(exported.prototype ?? {})) {
        const args = Reflect.getMetadata(ROUTE_ARGS, exported, method) as Record<string, { index: number }> | undefined;
        const types = Reflect.getMetadata('design:paramtypes', exported.prototype, method) as Function[] | undefined;
        for (const [key, arg] of Object.entries(args ?? {})) {
          const type = types?.[arg.index];
          if (Number(key.split(':')[0]) === BODY && type && type !== Object) found.set(type.name, type);
        }
      }
    }
  }
  return found;
}

const DTOS = bodyDtos();

// ---------------------------------------------------------------------------------------------
// Random bodies from a DTO's rules: mostly valid values, with boundary and broken ones mixed in.

interface Meta {
  type: string;
  name?: string;
  propertyName: string;
  constraints?: unknown[];
  each?: boolean;
}

const storage = getMetadataStorage() as unknown as { getTargetValidationMetadatas(t: Function, s: string | undefined, a: boolean, g: boolean, gr?: string[]): Meta[] };
// eslint-disable-next-line @typescript-eslint/no-require-imports
const typeStorage = (require('class-transformer/cjs/storage') as { defaultMetadataStorage: { findTypeMetadata(t: Function, p: string): { typeFunction: () => Function } | undefined } }).defaultMetadataStorage;

const WRONG_TYPES = fc.constantFrom<unknown>(null, 0, 1.5, -1, '', 'x', true, false, [], {}, ['x'], { a: 1 });
const often = <T>(valid: fc.Arbitrary<T>, broken: fc.Arbitrary<unknown>, weight = 12) =>
  fc.oneof({ arbitrary: valid as fc.Arbitrary<unknown>, weight }, { arbitrary: broken, weight: 1 });

function text(min: number, max: number): fc.Arbitrary<unknown> {
  const lo = Math.max(min, 1);
  const valid = fc.oneof(
    { arbitrary: fc.string({ unit: 'grapheme-ascii', minLength: lo, maxLength: Math.min(max, 40) }), weight: 6 },
    { arbitrary: fc.string({ unit: 'grapheme', minLength: lo, maxLength: Math.min(max, 20) }), weight: 3 },
    { arbitrary: fc.constantFrom('a'.repeat(max), '😀'.repeat(max), 'Chernihiv', 'line\nbreak\ttab\r', ' padded ', '\u0085next line'), weight: 1 },
  );
  const broken = fc.oneof(
    fc.constantFrom('', ' ', '\t\n ', '\u00a0', '\u3000', '\ufeff', '\u2028', 'a'.repeat(max + 1), '😀'.repeat(max + 1), 'a'.repeat(Math.max(min - 1, 0))),
    fc.constantFrom('bell\u0007', 'del\u007f', 'nul\u0000', 'lone\ud800', '\udc00lone', 'pair😀ok\ud83d', 'vt\u000b'),
    fc.string({ unit: 'binary', maxLength: 12 }),
    WRONG_TYPES,
  );
  return often(valid, broken, 10);
}

const URLS_OK = ['https://example.org/a', 'http://a', 'HTTP://EXAMPLE.ORG/x?y=1#z', 'https://xn--80ak6aa92e.com/', 'http://[::1]:8080/', 'https://example.org/' + 'a'.repeat(2020)];
const URLS_BAD = ['ftp://x.org', 'https://', 'http:/x', 'not a url', 'https://exa mple.org', 'mailto:a@b.c', 'https://example.org/' + 'a'.repeat(2030), 'https://x.org/\ud800', '//example.org', 'file:///etc/passwd'];
const url = () => often(fc.oneof(fc.webUrl(), fc.constantFrom(...URLS_OK)), fc.oneof(fc.constantFrom(...URLS_BAD), WRONG_TYPES));

const pad = (n: number, w = 2) => String(n).padStart(w, '0');
function isoDateTime(): fc.Arbitrary<unknown> {
  const valid = fc
    .record({ y: fc.integer({ min: 1990, max: 2030 }), mo: fc.integer({ min: 1, max: 12 }), d: fc.integer({ min: 1, max: 28 }), h: fc.integer({ min: 0, max: 23 }), mi: fc.integer({ min: 0, max: 59 }), s: fc.integer({ min: 0, max: 59 }), z: fc.constantFrom('Z', '+03:00', '-05:30', '+00:00') })
    .map(({ y, mo, d, h, mi, s, z }) => `${pad(y, 4)}-${pad(mo)}-${pad(d)}T${pad(h)}:${pad(mi)}:${pad(s)}${z}`);
  const edgy = fc
    .record({
      y: fc.oneof(fc.integer({ min: 0, max: 9999 }), fc.constantFrom(0, 99, 100, 1900, 2000, 2023, 2024)),
      mo: fc.integer({ min: 0, max: 13 }),
      d: fc.integer({ min: 0, max: 32 }),
      h: fc.integer({ min: 0, max: 24 }),
      mi: fc.integer({ min: 0, max: 60 }),
      s: fc.option(fc.integer({ min: 0, max: 60 })),
      frac: fc.option(fc.string({ unit: fc.constantFrom(...'0123456789'), minLength: 1, maxLength: 10 })),
      z: fc.oneof(fc.constantFrom('Z', 'z', '', '+24:00', '-23:59', '+05:60', '+0530'), fc.record({ sign: fc.constantFrom('+', '-'), h: fc.integer({ min: 0, max: 24 }), m: fc.integer({ min: 0, max: 60 }) }).map(({ sign, h, m }) => `${sign}${pad(h)}:${pad(m)}`)),
    })
    .map(({ y, mo, d, h, mi, s, frac, z }) => `${pad(y, 4)}-${pad(mo)}-${pad(d)}T${pad(h)}:${pad(mi)}${s === null ? '' : `:${pad(s)}${frac === null ? '' : `.${frac}`}`}${z}`);
  return often(valid, fc.oneof(edgy, fc.constantFrom('2022-03-30', '2022-03-30 08:00:00Z', '2022-02-29T00:00:00Z', '2024-02-29T00:00:00Z', '0000-02-29T00:00:00Z', 'x'.repeat(41)), WRONG_TYPES), 6);
}

function numberIn(min: number, max: number, integer: boolean): fc.Arbitrary<unknown> {
  const valid = integer ? fc.integer({ min, max }) : fc.oneof(fc.double({ min, max, noNaN: true }), fc.constantFrom(min, max, 0));
  const broken = fc.oneof(fc.constantFrom(min - 1, max + 1, min - 1e-9, max + 1e-9, 1.5, 1e308, -1e308, String(min), '1'), fc.double({ noNaN: true, min: -1e6, max: 1e6 }), WRONG_TYPES);
  return often(valid, broken, 8);
}

function sized<T>(item: fc.Arbitrary<T>, min: number, max: number): fc.Arbitrary<unknown> {
  const typical = fc.array(item, { minLength: Math.min(min, 3), maxLength: Math.min(Math.max(min, 3), max) });
  const bounds = [min - 1, min, max, max + 1].filter((n) => n >= 0 && n <= 101);
  const atBounds = fc.tuple(item, fc.constantFrom(...bounds)).map(([one, n]) => Array.from({ length: n }, () => structuredClone(one)));
  return fc.oneof({ arbitrary: typical, weight: 10 }, { arbitrary: atBounds, weight: 1 });
}

/** A value for one property, from its rules. */
function valueFor(cls: Function, key: string, metas: Meta[], depth: number): fc.Arbitrary<unknown> {
  const rule = (name: string) => metas.find((m) => m.name === name);
  const nestedRule = metas.find((m) => m.type === 'nestedValidation');
  const isArray = !!rule('isArray') || metas.some((m) => m.each);
  const minItems = (rule('arrayMinSize')?.constraints?.[0] as number | undefined) ?? 0;
  const maxItems = (rule('arrayMaxSize')?.constraints?.[0] as number | undefined) ?? 5;
  const scalar = (ms: Meta[]): fc.Arbitrary<unknown> => {
    const r = (name: string) => ms.find((m) => m.name === name);
    const c = (name: string) => r(name)?.constraints ?? [];
    if (r('isText')) return text(c('isText')[0] as number, c('isText')[1] as number);
    if (r('isHttpUrl')) return url();
    if (r('isIsoDateTime')) return isoDateTime();
    if (r('isIn')) {
      const values = c('isIn')[0] as unknown[];
      return often(fc.constantFrom(...values), fc.oneof(fc.constantFrom(String(values[0]).toUpperCase(), `${String(values[0])} `, 'other'), WRONG_TYPES), 15);
    }
    if (r('isInt') || r('isNumber') || r('min') || r('max')) {
      const min = (c('min')[0] as number | undefined) ?? -1000;
      const max = (c('max')[0] as number | undefined) ?? 1000;
      return numberIn(min, max, !!r('isInt'));
    }
    if (r('isBoolean')) return often(fc.boolean(), WRONG_TYPES);
    if (r('matches')) return often(fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 30 }), fc.oneof(fc.constantFrom('', 'a b', 'a+b', 'x'.repeat(201), 'é'.repeat(200)), WRONG_TYPES));
    if (r('isString') || r('maxLength')) {
      const max = (c('maxLength')[0] as number | undefined) ?? 100;
      return often(fc.oneof(fc.webUrl(), fc.string({ maxLength: 40 })), fc.oneof(fc.constantFrom('a'.repeat(max + 1), '😀'.repeat(max), '\ufe0f'.repeat(max + 1)), WRONG_TYPES));
    }
    return WRONG_TYPES;
  };
  if (nestedRule) {
    const type = typeStorage.findTypeMetadata(cls, key);
    if (!type) return WRONG_TYPES;
    const item = objectFor(type.typeFunction(), depth + 1);
    return often(isArray ? sized(item, minItems, maxItems) : item, fc.oneof(WRONG_TYPES, isArray ? item : fc.array(item, { maxLength: 2 })), 12);
  }
  if (isArray) {
    const item = scalar(metas.filter((m) => m.each));
    const unique = !!rule('arrayUnique');
    return often(sized(item, minItems, maxItems).map((a) => (unique && Array.isArray(a) ? [...new Set(a)] : a)), fc.oneof(WRONG_TYPES, sized(item, minItems, maxItems)), 12);
  }
  return scalar(metas);
}

const EXTRA_KEYS = fc.constantFrom<[string, unknown]>(['extra', 1], ['constructor', 1], ['toString', 'x'], ['__proto__', {}], ['hasOwnProperty', null], ['0', 'x']);

/** A body for `cls`: each property (sometimes missing, optional ones often), sometimes an unknown key, in random order. */
function objectFor(cls: Function, depth = 0): fc.Arbitrary<unknown> {
  if (depth > 4) return fc.constant({});
  const metas = storage.getTargetValidationMetadatas(cls, undefined, false, false, undefined);
  const byKey = new Map<string, Meta[]>();
  for (const m of metas) byKey.set(m.propertyName, [...(byKey.get(m.propertyName) ?? []), m]);
  const entries = [...byKey].map(([key, ms]) => {
    const optional = ms.some((m) => m.name === 'isOptional');
    const present = fc.oneof({ arbitrary: fc.constant(true), weight: optional ? 1 : 40 }, { arbitrary: fc.constant(false), weight: 1 });
    return fc.tuple(present, valueFor(cls, key, ms, depth)).map(([p, v]) => (p ? ([[key, v]] as Array<[string, unknown]>) : []));
  });
  return fc
    .tuple(fc.tuple(...entries), fc.oneof({ arbitrary: fc.constant(null), weight: 25 }, { arbitrary: EXTRA_KEYS, weight: 1 }))
    .chain(([fields, extra]) => {
      const all = [...fields.flat(), ...(extra ? [extra] : [])];
      return fc.shuffledSubarray(all, { minLength: all.length, maxLength: all.length });
    })
    .map((pairs) => {
      const obj: Record<string, unknown> = {};
      // defineProperty: an own "__proto__" key, as JSON.parse makes it
      for (const [k, v] of pairs) Object.defineProperty(obj, k, { value: v, enumerable: true, writable: true, configurable: true });
      return obj;
    });
}

/**
 * A request body as the pipe gets it: parsed JSON (so no undefined, no -0, no NaN), made in this
 * realm (structuredClone would make objects of Node's outer realm under Jest, never plain here).
 */
const asJson = (value: unknown): unknown => (value === undefined ? undefined : JSON.parse(JSON.stringify(value)));

function bodyFor(cls: Function): fc.Arbitrary<unknown> {
  return fc.oneof({ arbitrary: objectFor(cls), weight: 30 }, { arbitrary: WRONG_TYPES, weight: 1 }, { arbitrary: fc.array(objectFor(cls), { maxLength: 1 }), weight: 1 }).map(asJson);
}

// ---------------------------------------------------------------------------------------------

const fast = createValidationPipe();
const full = createValidationPipe({ compiledBodies: false });
const bodyMeta = (metatype: Function): ArgumentMetadata => ({ type: 'body', metatype: metatype as ArgumentMetadata['metatype'], data: undefined });

type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };
async function outcome(pipe: ValidationPipe, value: unknown, metatype: Function): Promise<Outcome> {
  try {
    return { ok: true, value: await pipe.transform(asJson(value), bodyMeta(metatype)) };
  } catch (error) {
    return { ok: false, error };
  }
}

/** The same value down to classes, own keys (undefined ones too) and their order. */
function expectSameValue(actual: unknown, expected: unknown): void {
  expect(isDeepStrictEqual(actual, expected)).toBe(true);
  expect(inspect(actual, { depth: Infinity })).toBe(inspect(expected, { depth: Infinity }));
}

/** Like class-transformer's, the DTO is a copy: the handler cannot change the parsed body through it. */
function expectNoSharedObjects(dto: unknown, body: unknown): void {
  const inBody = new Set<unknown>();
  const walk = (v: unknown, visit: (o: object) => void): void => {
    if (v === null || typeof v !== 'object') return;
    visit(v);
    for (const child of Object.values(v)) walk(child, visit);
  };
  walk(body, (o) => inBody.add(o));
  walk(dto, (o) => expect(inBody.has(o)).toBe(false));
}

function describeError(e: unknown) {
  if (e instanceof RequestValidationError) return { kind: 'RequestValidationError', status: e.status, errors: e.errors, message: e.message };
  const err = e as { constructor?: { name?: string }; getStatus?: () => number; getResponse?: () => unknown; message?: string };
  return { kind: err.constructor?.name, status: err.getStatus?.(), response: err.getResponse?.(), message: err.message };
}

describe('every body DTO is compiled', () => {
  it('finds the body DTOs of the controllers', () => {
    expect([...DTOS.keys()].sort()).toEqual(
      expect.arrayContaining(['CreateClaimDto', 'EvidenceDto', 'ReportDto', 'RetractDto', 'CreateApiKeyDto', 'CreateWebhookDto', 'UpdateWebhookDto', 'ProposeReviewDto', 'RegisterWitnessDto']),
    );
  });

  it.each([...DTOS])('%s compiles (or says why not)', (_name, dto) => {
    expect(whyNotCompiled(dto)).toBeNull();
  });
});

describe('compiled ⇒ class-validator: random bodies for every body DTO', () => {
  const RUNS = Number(process.env.COMPILED_VALIDATION_RUNS ?? 400);

  it.each([...DTOS])('%s: the fast path accepts only what the pipe accepts, with the same value; errors are the pipe\'s', async (_name, dto) => {
    const check = compiledBody(dto)!;
    let accepted = 0;
    let refused = 0;
    await fc.assert(
      fc.asyncProperty(bodyFor(dto), async (body) => {
        const input = asJson(body);
        const compiled = check(input);
        const [viaFast, viaFull] = [await outcome(fast, body, dto), await outcome(full, body, dto)];
        if (compiled !== FALLBACK) {
          accepted++;
          expect(viaFull.ok).toBe(true);
          expectSameValue(compiled, (viaFull as { value: unknown }).value);
          expectNoSharedObjects(compiled, input);
        } else if (!viaFull.ok) {
          refused++;
        }
        // The app's pipe answers exactly as class-validator alone: the same value or the same error.
        expect(viaFast.ok).toBe(viaFull.ok);
        if (viaFast.ok && viaFull.ok) expectSameValue(viaFast.value, viaFull.value);
        if (!viaFast.ok && !viaFull.ok) expect(describeError(viaFast.error)).toEqual(describeError(viaFull.error));
      }),
      { numRuns: RUNS },
    );
    // Not a hollow property: both sides were exercised.
    expect(accepted).toBeGreaterThan(RUNS / 10);
    expect(refused).toBeGreaterThan(RUNS / 20);
  });
});

describe('the pipe skips class-transformer and class-validator for a valid body', () => {
  // The bodies the e2e tests send (test/support/app.ts).
  const evidence = evidenceBody();
  const claim = pledgeBody();

  let slowPath: jest.SpyInstance;
  beforeEach(() => {
    slowPath = jest.spyOn(ValidationPipe.prototype, 'transform');
  });
  afterEach(() => slowPath.mockRestore());

  it.each<[string, Function, object]>([
    ['EvidenceDto', EvidenceDto, evidence],
    ['ReportDto', ReportDto, { ...evidence, stance: undefined }],
    ['CreateClaimDto', CreateClaimDto, claim],
    ['RetractDto', RetractDto, { reason: 'The source retracted its report' }],
  ])('%s: a valid body never reaches ValidationPipe.transform, and gets the same DTO', async (_name, dto, body) => {
    const json = asJson(body);
    const value = await fast.transform(asJson(json), bodyMeta(dto));
    expect(slowPath).not.toHaveBeenCalled();
    expect(value).toBeInstanceOf(dto);
    expectSameValue(value, await full.transform(asJson(json), bodyMeta(dto)));
    expect(slowPath).toHaveBeenCalledTimes(1);
  });

  it('an invalid body takes the full pipe, and its error names the field', async () => {
    const error = await fast.transform(asJson({ ...evidence, places: [{ name: 'Chernihiv', lat: 91 }] }), bodyMeta(EvidenceDto)).catch((e: unknown) => e);
    expect(slowPath).toHaveBeenCalledTimes(1);
    expect(error).toBeInstanceOf(RequestValidationError);
    expect((error as RequestValidationError).errors).toEqual([{ field: 'places[0].lat', message: 'lat must be between -90 and 90' }]);
  });

  it('a null optional field is accepted as the pipe accepts it (null kept)', async () => {
    const json = asJson({ ...evidence, observedUntil: null, source: { url: 'https://example.org/r', publisher: null } });
    const value = await fast.transform(asJson(json), bodyMeta(EvidenceDto));
    expect(slowPath).not.toHaveBeenCalled();
    expect(value).toMatchObject({ observedUntil: null, source: { publisher: null } });
    expectSameValue(value, await full.transform(asJson(json), bodyMeta(EvidenceDto)));
  });
});

// DTOs the compiler must refuse: it cannot mirror them exactly (the pipe then validates every body).
class WithDefault {
  @IsOptional()
  @IsInt()
  limit?: number = 50;
}
class WithTransform {
  @DecimalInt()
  @IsInt()
  n!: number;
}
class WithCondition {
  @ValidateIf((o: { kind?: string }) => o.kind === 'a')
  @IsText(1, 10)
  name?: string;

  @IsIn(['a', 'b'])
  kind!: string;
}
class Inner {
  @IsText(1, 10)
  name!: string;
}
class TypeWithoutNested {
  @IsDefined()
  @Type(() => Inner)
  inner!: Inner;
}
class NestedWithoutType {
  @ValidateNested()
  inner!: Inner;
}
class FieldWithoutRules {
  @IsText(1, 10)
  name!: string;

  note?: string;
}

describe('DTOs the compiler does not model are left to the pipe', () => {
  it.each<[string, Function, RegExp]>([
    ['a field default', WithDefault, /default/],
    ['@Transform', WithTransform, /@Transform/],
    ['@ValidateIf', WithCondition, /ValidateIf/],
    ['@Type without @ValidateNested', TypeWithoutNested, /go together/],
    ['@ValidateNested without @Type', NestedWithoutType, /go together/],
    ['a field without rules', FieldWithoutRules, /without rules/],
  ])('%s', async (_label, dto, why) => {
    expect(whyNotCompiled(dto)).toMatch(why);
    expect(compiledBody(dto)).toBeNull();
  });

  it('and the pipe still validates their bodies in full (a default is kept, a condition applies)', async () => {
    expect(await fast.transform({}, bodyMeta(WithDefault))).toEqual({ limit: 50 });
    expect(await fast.transform({ kind: 'b' }, bodyMeta(WithCondition))).toMatchObject({ kind: 'b' });
    await expect(fast.transform({ kind: 'a' }, bodyMeta(WithCondition))).rejects.toBeInstanceOf(RequestValidationError);
    await expect(fast.transform({ name: 'x' }, bodyMeta(FieldWithoutRules))).rejects.toBeInstanceOf(RequestValidationError);
  });
});
