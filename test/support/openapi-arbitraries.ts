import fc from 'fast-check';

/*
 * fast-check arbitraries from an OpenAPI 3.1 document's JSON Schemas: values that the schema
 * allows (so a request built from them is one the document says is valid), and mutations of
 * them that the schema does not allow (wrong types, unknown fields, missing required fields,
 * odd strings). Hand-written: no maintained package turns JSON Schema into fast-check
 * arbitraries (ones that generate JSON Schema samples use their own random source, so fast-check
 * could neither replay a seed nor shrink).
 */

export type Schema = Record<string, unknown>;

/** Strings a client might send by mistake or on purpose. */
export const ODD_STRINGS = [
  '',
  ' ',
  '\u0000',
  'a\u0007b',
  '\u007f',
  '\ud800', // a lone surrogate
  '😀'.repeat(3),
  'ä̈ ̀',
  '<script>alert(1)</script>',
  "' OR 1=1 --",
  '../../etc/passwd',
  '%00',
  '{"$gt":""}',
  '\u202e',
  'x'.repeat(6000),
  '0x10',
  '1e2',
  '-1',
  '99999999999999999999',
  'null',
  'true',
];

export class SchemaArbitraries {
  constructor(
    private readonly components: Record<string, Schema>,
    /** Values for properties by name (e.g. URLs that must stay on this machine). */
    private readonly fixed: Record<string, fc.Arbitrary<unknown>> = {},
  ) {}

  resolve(schema: Schema): Schema {
    let s = schema;
    for (let i = 0; i < 10 && typeof s.$ref === 'string'; i++) s = this.components[(s.$ref as string).split('/').pop()!] ?? {};
    if (Array.isArray(s.allOf) && s.allOf.length === 1 && !s.properties) {
      const { allOf, ...rest } = s;
      return { ...this.resolve(allOf[0] as Schema), ...rest };
    }
    return s;
  }

  /** A value the schema allows. */
  valid(schema: Schema, depth = 0): fc.Arbitrary<unknown> {
    const s = this.resolve(schema);
    if (Array.isArray(s.anyOf) || Array.isArray(s.oneOf)) {
      const options = ((s.anyOf ?? s.oneOf) as Schema[]).map((o) => this.valid(o, depth + 1));
      return fc.oneof(...options);
    }
    if (s.const !== undefined) return fc.constant(s.const);
    if (Array.isArray(s.enum)) return fc.constantFrom(...(s.enum as unknown[]));
    const type = Array.isArray(s.type) ? (s.type as string[]) : s.type ? [s.type as string] : [s.properties ? 'object' : 'string'];
    return fc.oneof(...type.map((t) => this.ofType({ ...s, type: t }, depth)));
  }

  private ofType(s: Schema, depth: number): fc.Arbitrary<unknown> {
    switch (s.type) {
      case 'null':
        return fc.constant(null);
      case 'boolean':
        return fc.boolean();
      case 'integer':
        return fc.integer({ min: (s.minimum as number | undefined) ?? -1000, max: (s.maximum as number | undefined) ?? 1_000_000 });
      case 'number':
        return fc.double({ min: (s.minimum as number | undefined) ?? -1e6, max: (s.maximum as number | undefined) ?? 1e6, noNaN: true, noDefaultInfinity: true });
      case 'array': {
        const minItems = (s.minItems as number | undefined) ?? 0;
        const maxItems = Math.min((s.maxItems as number | undefined) ?? 4, minItems + 3);
        const items = this.valid((s.items as Schema | undefined) ?? { type: 'string' }, depth + 1);
        return s.uniqueItems ? fc.uniqueArray(items, { minLength: minItems, maxLength: maxItems, selector: (v) => JSON.stringify(v) }) : fc.array(items, { minLength: minItems, maxLength: maxItems });
      }
      case 'object':
        return this.object(s, depth);
      default:
        return this.string(s);
    }
  }

  private object(s: Schema, depth: number): fc.Arbitrary<Record<string, unknown>> {
    const props = (s.properties ?? {}) as Record<string, Schema>;
    const required = new Set((s.required as string[] | undefined) ?? []);
    const record: Record<string, fc.Arbitrary<unknown>> = {};
    for (const [name, p] of Object.entries(props)) record[name] = this.fixed[name] ?? this.valid(p, depth + 1);
    const optional = Object.keys(props).filter((k) => !required.has(k));
    return fc.record(record, { requiredKeys: [...required].filter((k) => k in props) as never[] }).map((v) => {
      // fc.record drops optional keys at random already; nothing else to do but keep types.
      void optional;
      return v as Record<string, unknown>;
    });
  }

  private string(s: Schema): fc.Arbitrary<string> {
    const minLength = (s.minLength as number | undefined) ?? 0;
    const maxLength = Math.min((s.maxLength as number | undefined) ?? 40, Math.max(minLength, 40));
    switch (s.format) {
      case 'uuid':
        return fc.uuid({ version: 4 });
      case 'date-time':
        // Up to now: some fields refuse times in the future.
        return fc.date({ min: new Date('2000-01-01T00:00:00Z'), max: new Date(Date.UTC(2024, 0, 1)), noInvalidDate: true }).map((d) => d.toISOString());
      case 'uri':
        return fc.constantFrom('http://127.0.0.1:9/a', 'https://127.0.0.1/b?c=d', 'http://localhost:9/e#f');
      default:
        break;
    }
    const pattern = typeof s.pattern === 'string' ? new RegExp(s.pattern, 'u') : null;
    const base = fc.string({ minLength, maxLength, unit: 'grapheme-ascii' });
    if (!pattern) return base;
    const maxAllowed = (s.maxLength as number | undefined) ?? Infinity;
    try {
      return fc.stringMatching(pattern).filter((v) => [...v].length >= minLength && [...v].length <= maxAllowed);
    } catch {
      // Patterns fast-check cannot generate from (lookaheads: the text pattern): plain strings
      // of the right length, kept when they match (most do).
      return base.filter((v) => pattern.test(v));
    }
  }

  /** A value the schema does not allow (where it says enough to be wrong about). */
  invalid(schema: Schema): fc.Arbitrary<unknown> {
    const s = this.resolve(schema);
    const type = Array.isArray(s.type) ? (s.type as string[]) : [s.type as string];
    const wrong: Array<fc.Arbitrary<unknown>> = [];
    if (!type.includes('string')) wrong.push(fc.constantFrom('x', '', '1'));
    if (!type.includes('integer') && !type.includes('number')) wrong.push(fc.constantFrom(0, -1, 1.5, 1e300));
    if (!type.includes('boolean')) wrong.push(fc.boolean());
    if (!type.includes('object')) wrong.push(fc.constant({ nested: 'object' }));
    if (!type.includes('array')) wrong.push(fc.constant(['an', 'array']));
    if (!type.includes('null')) wrong.push(fc.constant(null));
    if (type.includes('integer')) wrong.push(fc.constantFrom(1.5, (s.maximum as number | undefined ?? 1e15) + 1));
    if (type.includes('string') && typeof s.maxLength === 'number') wrong.push(fc.constant('x'.repeat((s.maxLength as number) + 1)));
    if (type.includes('string') && typeof s.pattern === 'string') {
      const pattern = new RegExp(s.pattern, 'u');
      const refused = ODD_STRINGS.filter((v) => !pattern.test(v));
      if (refused.length > 0) wrong.push(fc.constantFrom(...refused));
    }
    return fc.oneof(...wrong);
  }
}
