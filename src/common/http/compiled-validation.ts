import { ValidationTypes, getMetadataStorage } from 'class-validator';

/*
 * Request bodies, checked without class-transformer and class-validator (issue 17).
 *
 * The global pipe (createValidationPipe, validation.ts) turned every body into DTO instances with
 * class-transformer and walked them with class-validator: ~70 µs and much of the garbage of a
 * write. Here each body DTO is compiled once, from the same class-validator metadata, into a
 * check that also builds the instances the pipe would have built. It answers one of two things:
 * - the DTO value, exactly as the pipe would return it (same classes, same own keys in the same
 *   order, `undefined` for fields not sent), when the body is valid;
 * - FALLBACK otherwise, and the pipe then runs in full, so every error answer is the pipe's own.
 *
 * The rule is soundness: accepted here ⇒ accepted by the pipe, with a deep-equal value. Each
 * rule runs the very validate function its decorator registered (no second rendering of the
 * rules, e.g. as JSON Schema, that could drift from them), and only for rules known to look at
 * the value and their constraints alone. Anything the compiler does not model exactly
 * (ValidateIf, async or unknown validators, @Transform, @Expose/@Exclude, field defaults, Set/Map
 * types, schemas by name) leaves the whole DTO uncompiled, and bodies whose shape the copy cannot
 * mirror (objects where no @Type says what they become, nested arrays, non-plain objects, keys
 * class-transformer would drop) fall back. Both only cost speed.
 *
 * What this assumes of the pipe (createValidationPipe): whitelist + forbidNonWhitelisted +
 * forbidUnknownValues, transform with implicit conversion off, no groups; change those and this
 * must change too (test/unit/http/compiled-validation.spec.ts compares the two on random bodies).
 */

/** The body is not (provably) valid: run the full pipe. */
export const FALLBACK: unique symbol = Symbol('compiled-validation fallback');
type Fallback = typeof FALLBACK;

/** Validators whose verdict depends on the value and the rule's constraints only (not on other fields). */
const VALUE_ONLY_VALIDATORS = new Set([
  // class-validator's own
  'isDefined',
  'isIn',
  'isInt',
  'isNumber',
  'isString',
  'isBoolean',
  'isObject',
  'isArray',
  'min',
  'max',
  'arrayMinSize',
  'arrayMaxSize',
  'arrayUnique',
  'maxLength',
  'minLength',
  'matches',
  // ours (validation.ts)
  'isText',
  'isNotList',
  'isHttpUrl',
  'isIsoDateTime',
]);

interface Rule {
  validate: (value: unknown, args: unknown) => unknown;
  args: object;
  each: boolean;
}

interface PropertyPlan {
  key: string;
  optional: boolean;
  rules: Rule[];
  /** @ValidateNested + @Type: the class the value (or each item) becomes. */
  nested: ClassPlan | null;
  /** What a missing property does: true when the pipe accepts it (it then stays `undefined`). */
  missingOk: boolean;
}

interface ClassPlan {
  cls: new () => object;
  byKey: Map<string, PropertyPlan>;
  /** Properties a body must send. */
  required: PropertyPlan[];
}

interface ValidationMetadataLike {
  type: string;
  name?: string;
  target: Function | string;
  propertyName: string;
  constraints?: unknown[];
  constraintCls?: Function;
  each?: boolean;
  validateIf?: unknown;
}

interface ConstraintLike {
  async?: boolean;
  instance: { validate: (value: unknown, args: unknown) => unknown };
}

interface ClassValidatorStorage {
  validationMetadatas: Map<Function | string, ValidationMetadataLike[]>;
  getTargetValidationMetadatas(target: Function, schema: string | undefined, always: boolean, strictGroups: boolean, groups?: string[]): ValidationMetadataLike[];
  getTargetValidatorConstraints(target: Function): ConstraintLike[];
}

interface TypeMetadataLike {
  typeFunction?: (options?: unknown) => unknown;
  reflectedType?: unknown;
  options?: { discriminator?: unknown };
}

interface ClassTransformerStorage {
  findTypeMetadata(target: Function, propertyName: string): TypeMetadataLike | undefined;
  findTransformMetadatas(target: Function, propertyName: string, transformationType: number): unknown[];
  getExposedMetadatas(target: Function): unknown[];
  getExcludedMetadatas(target: Function): unknown[];
  getStrategy(target: Function): string;
}

/** class-transformer keeps its decorators' metadata in a module it does not export by name. */
function transformerStorage(): ClassTransformerStorage | null {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const s = (require('class-transformer/cjs/storage') as { defaultMetadataStorage?: ClassTransformerStorage }).defaultMetadataStorage;
    const ok = s && ['findTypeMetadata', 'findTransformMetadatas', 'getExposedMetadatas', 'getExcludedMetadatas', 'getStrategy'].every((m) => typeof (s as unknown as Record<string, unknown>)[m] === 'function');
    return ok ? s : null;
  } catch {
    return null;
  }
}

function validatorStorage(): ClassValidatorStorage | null {
  const s = getMetadataStorage() as unknown as ClassValidatorStorage;
  const ok = s.validationMetadatas instanceof Map && typeof s.getTargetValidationMetadatas === 'function' && typeof s.getTargetValidatorConstraints === 'function';
  return ok ? s : null;
}

class NotCompilable extends Error {}

const PLAIN_TO_CLASS = 0; // class-transformer's TransformationType.PLAIN_TO_CLASS

class Compiler {
  private readonly plans = new Map<Function, ClassPlan>();

  constructor(
    private readonly validators: ClassValidatorStorage,
    private readonly transformer: ClassTransformerStorage,
  ) {}

  plan(cls: Function): ClassPlan {
    const known = this.plans.get(cls);
    if (known) return known; // also a class that nests itself: its plan is filled in below
    const plan: ClassPlan = { cls: cls as new () => object, byKey: new Map(), required: [] };
    this.plans.set(cls, plan);
    // As class-validator selects them for the pipe: no groups, `always` off, groups not strict.
    const metas = this.validators.getTargetValidationMetadatas(cls, undefined, false, false, undefined);
    if (metas.length === 0) throw new NotCompilable(`${cls.name}: no rules (forbidUnknownValues refuses it)`);
    const t = this.transformer;
    if (t.getStrategy(cls) !== 'none' || t.getExposedMetadatas(cls).length > 0 || t.getExcludedMetadatas(cls).length > 0) {
      throw new NotCompilable(`${cls.name}: @Expose/@Exclude`);
    }
    const grouped = new Map<string, ValidationMetadataLike[]>();
    for (const m of metas) {
      const list = grouped.get(m.propertyName);
      if (list) list.push(m);
      else grouped.set(m.propertyName, [m]);
    }
    let probe: object;
    try {
      probe = new plan.cls();
    } catch {
      throw new NotCompilable(`${cls.name}: its constructor needs arguments`);
    }
    for (const key of Object.keys(probe)) {
      // A field without rules would fail the whitelist on every body; a default would be validated and kept.
      if (!grouped.has(key)) throw new NotCompilable(`${cls.name}.${key}: a field without rules`);
      if ((probe as Record<string, unknown>)[key] !== undefined) throw new NotCompilable(`${cls.name}.${key}: a default value`);
    }
    for (const [key, list] of grouped) {
      const property = this.property(cls, key, list);
      plan.byKey.set(key, property);
      if (!property.missingOk) plan.required.push(property);
    }
    return plan;
  }

  private property(cls: Function, key: string, metas: ValidationMetadataLike[]): PropertyPlan {
    const where = `${cls.name}.${key}`;
    // class-transformer skips keys the prototype has as methods or getters; class-validator would then see `undefined`.
    if (key in cls.prototype) throw new NotCompilable(`${where}: shadows a prototype member`);
    if (this.transformer.findTransformMetadatas(cls, key, PLAIN_TO_CLASS).length > 0) throw new NotCompilable(`${where}: @Transform`);
    let optional = false;
    let nestedValidation = false;
    const rules: Rule[] = [];
    for (const m of metas) {
      if (m.validateIf !== undefined) throw new NotCompilable(`${where}: validateIf`);
      switch (m.type) {
        case ValidationTypes.CONDITIONAL_VALIDATION:
          if (m.name !== 'isOptional') throw new NotCompilable(`${where}: @ValidateIf`);
          optional = true;
          break;
        case ValidationTypes.WHITELIST:
          break;
        case ValidationTypes.NESTED_VALIDATION:
          nestedValidation = true;
          break;
        case ValidationTypes.IS_DEFINED:
        case ValidationTypes.CUSTOM_VALIDATION: {
          if (!m.name || !VALUE_ONLY_VALIDATORS.has(m.name) || !m.constraintCls) throw new NotCompilable(`${where}: validator ${m.name ?? m.type}`);
          const constraints = this.validators.getTargetValidatorConstraints(m.constraintCls);
          if (constraints.length === 0) throw new NotCompilable(`${where}: ${m.name} has no validator`);
          const args = Object.freeze({ targetName: cls.name, property: key, object: undefined, value: undefined, constraints: m.constraints });
          for (const c of constraints) {
            if (c.async) throw new NotCompilable(`${where}: ${m.name} is async`);
            rules.push({ validate: c.instance.validate.bind(c.instance), args, each: m.each === true });
          }
          break;
        }
        default:
          throw new NotCompilable(`${where}: ${m.type}`);
      }
    }
    const type = this.transformer.findTypeMetadata(cls, key);
    let nested: ClassPlan | null = null;
    if (type || nestedValidation) {
      if (!type || !nestedValidation) throw new NotCompilable(`${where}: @Type and @ValidateNested go together`);
      if (type.options?.discriminator || typeof type.typeFunction !== 'function' || type.typeFunction.length > 0) throw new NotCompilable(`${where}: a dynamic @Type`);
      if (type.reflectedType === Map || type.reflectedType === Set) throw new NotCompilable(`${where}: a Map or Set`);
      const target = type.typeFunction();
      if (typeof target !== 'function' || [String, Number, Boolean, Date, Buffer, Object, Array, Map, Set, Promise].includes(target as never)) {
        throw new NotCompilable(`${where}: @Type of a built-in`);
      }
      nested = this.plan(target);
    }
    const property: PropertyPlan = { key, optional, rules, nested, missingOk: true };
    property.missingOk = optional || runRules(property, undefined);
    return property;
  }
}

/** Every rule of the property holds for `value` (class-validator: `each` rules take an array's items). */
function runRules(p: PropertyPlan, value: unknown): boolean {
  for (const r of p.rules) {
    if (r.each && Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) if (!r.validate(value[i], r.args)) return false;
    } else if (!r.validate(value, r.args)) {
      return false;
    }
  }
  return true;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && Object.getPrototypeOf(value) === Object.prototype;
}

/** A property's value as the pipe would hand it on (copied as class-transformer copies it), or FALLBACK. */
function buildProperty(p: PropertyPlan, value: unknown): unknown {
  if (value === null || value === undefined) {
    if (p.optional) return value;
  }
  if (!runRules(p, value)) return FALLBACK;
  if (p.nested) {
    if (Array.isArray(value)) {
      const out: unknown[] = [];
      for (let i = 0; i < value.length; i++) {
        const item = buildObject(p.nested, value[i]);
        if (item === FALLBACK) return FALLBACK;
        out.push(item);
      }
      return out;
    }
    return buildObject(p.nested, value);
  }
  if (Array.isArray(value)) {
    // Items that are objects would be deep-copied (and arrays would need their own rules): leave those to the pipe.
    for (let i = 0; i < value.length; i++) {
      const item = value[i];
      if ((typeof item === 'object' && item !== null) || item === undefined) return FALLBACK; // undefined: a gap, never JSON
    }
    return value.slice();
  }
  if (typeof value === 'object' && value !== null) return FALLBACK;
  return value;
}

/** The DTO instance for a plain object, built as class-transformer builds it, or FALLBACK. */
function buildObject(plan: ClassPlan, value: unknown): object | Fallback {
  if (!isPlainObject(value)) return FALLBACK;
  const out = new plan.cls() as Record<string, unknown>;
  for (const key in value) {
    const p = plan.byKey.get(key);
    if (p === undefined) return FALLBACK; // not whitelisted (or inherited: nothing a JSON body has)
    const built = buildProperty(p, value[key]);
    if (built === FALLBACK) return FALLBACK;
    out[key] = built;
  }
  const required = plan.required;
  for (let i = 0; i < required.length; i++) if (value[required[i].key] === undefined) return FALLBACK;
  return out;
}

export type CompiledBody = (body: unknown) => object | Fallback;

const compiled = new Map<Function, CompiledBody | null>();

/**
 * The compiled check for a body DTO, or null when the class has something it does not model
 * (the pipe then validates every body of it). Compiled on first use, kept for the process.
 */
export function compiledBody(metatype: Function): CompiledBody | null {
  let check = compiled.get(metatype);
  if (check === undefined) {
    check = compile(metatype);
    compiled.set(metatype, check);
  }
  return check;
}

/** Why a class is not compiled (null: it is), for tests and for whoever adds a rule. */
export function whyNotCompiled(metatype: Function): string | null {
  try {
    compileOrThrow(metatype);
    return null;
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
}

function compile(metatype: Function): CompiledBody | null {
  try {
    return compileOrThrow(metatype);
  } catch {
    return null;
  }
}

function compileOrThrow(metatype: Function): CompiledBody {
  const validators = validatorStorage();
  const transformer = transformerStorage();
  if (!validators || !transformer) throw new NotCompilable('class-validator or class-transformer has changed shape');
  // Rules registered for a schema name would join a nested class's rules (class-validator looks them up by the parent's name).
  for (const target of validators.validationMetadatas.keys()) if (typeof target === 'string') throw new NotCompilable('schema-based rules are registered');
  const plan = new Compiler(validators, transformer).plan(metatype);
  return (body) => buildObject(plan, body);
}
