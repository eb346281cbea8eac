import fc from 'fast-check';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { CanonicalJsonError, canonicalString, canonicalize } from '../../../src/ledger/canonical-json';

const VECTORS = join(__dirname, '../../fixtures/rfc8785');
const vectorNames = readdirSync(join(VECTORS, 'input'))
  .filter((f) => f.endsWith('.json'))
  .sort();

describe('RFC 8785 test vectors', () => {
  it('has vectors to run', () => {
    expect(vectorNames.length).toBeGreaterThanOrEqual(6);
  });

  it.each(vectorNames)('%s canonicalizes to the exact bytes of output/%s', (name) => {
    const input = JSON.parse(readFileSync(join(VECTORS, 'input', name), 'utf8'));
    const expected = readFileSync(join(VECTORS, 'output', name));
    const actual = Buffer.from(canonicalize(input), 'utf8');
    expect(actual.toString('utf8')).toBe(expected.toString('utf8'));
    expect(actual.equals(expected)).toBe(true);
  });
});

describe('canonicalize: values JSON cannot represent are refused', () => {
  it.each<[string, unknown]>([
    ['NaN', NaN],
    ['Infinity', Infinity],
    ['-Infinity', -Infinity],
    ['undefined at top level', undefined],
    ['a function', () => 1],
    ['a symbol', Symbol('s')],
    ['a bigint', BigInt(1)],
    ['NaN inside an object', { a: { b: NaN } }],
    ['Infinity inside an array', [1, Infinity]],
    ['a lone high surrogate in a value', { s: 'ab\ud800' }],
    ['a lone low surrogate in a value', ['\udc00x']],
    ['a lone surrogate in a key', { ['k\ud83d']: 1 }],
    ['a reversed surrogate pair', '\ude02\ud83d'],
  ])('%s', (_label, value) => {
    expect(() => canonicalize(value)).toThrow(CanonicalJsonError);
  });

  it('canonicalString refuses a lone surrogate as well', () => {
    expect(() => canonicalString('\ud800')).toThrow(CanonicalJsonError);
  });
});

describe('canonicalize: shapes', () => {
  it('omits undefined members, as JSON.stringify does', () => {
    expect(canonicalize({ b: 1, a: undefined, c: { d: undefined, e: null } })).toBe('{"b":1,"c":{"e":null}}');
    expect(canonicalize({ only: undefined })).toBe('{}');
  });

  it('writes undefined array items as null, as JSON.stringify does', () => {
    expect(canonicalize([1, undefined, 2])).toBe('[1,null,2]');
  });

  it('sorts keys by UTF-16 code units, not by code point or locale', () => {
    // U+FB33 (one unit) sorts after U+1F602 (surrogates D83D DE02) by code units, before it by code point.
    expect(canonicalize({ '\ufb33': 1, '\u{1f602}': 2, a: 3, B: 4 })).toBe('{"B":4,"a":3,"\u{1f602}":2,"\ufb33":1}');
  });

  it('writes numbers as ECMAScript does, -0 as 0', () => {
    expect(canonicalize([-0, 1e21, 1e-7, 0.1, 123456789012345680000, 5e-324, -1.5])).toBe(
      '[0,1e+21,1e-7,0.1,123456789012345680000,5e-324,-1.5]',
    );
  });

  it('escapes only what JSON requires, with lowercase hex', () => {
    expect(canonicalize('"\\\b\f\n\r\t\u0000\u001f\u007f/<>\u2028é')).toBe('"\\"\\\\\\b\\f\\n\\r\\t\\u0000\\u001f\u007f/<>\u2028é"');
  });

  it('has no whitespace', () => {
    expect(canonicalize({ a: [1, { b: 'x y' }], c: true, d: false, e: null })).toBe('{"a":[1,{"b":"x y"}],"c":true,"d":false,"e":null}');
  });

  it('uses toJSON where an object has one (a Date becomes its ISO string)', () => {
    expect(canonicalize({ at: new Date(Date.UTC(2022, 2, 29, 11, 0, 0)) })).toBe('{"at":"2022-03-29T11:00:00.000Z"}');
  });
});

/** Rebuilds a JSON value with every object's keys inserted in a permuted order. */
function permuteKeys(value: unknown, seed: number): unknown {
  if (Array.isArray(value)) return value.map((v, i) => permuteKeys(v, seed + i + 1));
  if (value === null || typeof value !== 'object') return value;
  const keys = Object.keys(value);
  // A deterministic shuffle driven by the seed (Fisher-Yates with an LCG).
  let state = (seed >>> 0) || 1;
  for (let i = keys.length - 1; i > 0; i--) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    const j = state % (i + 1);
    [keys[i], keys[j]] = [keys[j], keys[i]];
  }
  const out: Record<string, unknown> = {};
  for (const k of keys) {
    // defineProperty, so a key named "__proto__" stays an own member (as JSON.parse makes it).
    Object.defineProperty(out, k, {
      value: permuteKeys((value as Record<string, unknown>)[k], seed * 31 + k.length),
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return out;
}

describe('canonicalize: properties', () => {
  const json = fc.jsonValue({ maxDepth: 4, stringUnit: 'binary' });

  it('is a fixed point: canonicalize(JSON.parse(canonicalize(x))) === canonicalize(x)', () => {
    fc.assert(
      fc.property(json, (x) => {
        const once = canonicalize(x);
        expect(canonicalize(JSON.parse(once))).toBe(once);
      }),
      { numRuns: 300 },
    );
  });

  it('is valid JSON that means the same value', () => {
    fc.assert(
      fc.property(json, (x) => {
        // JSON has no -0: compare after the round trip JSON.stringify would also make.
        expect(JSON.parse(canonicalize(x))).toEqual(JSON.parse(JSON.stringify(x)));
      }),
      { numRuns: 300 },
    );
  });

  it('does not depend on key order', () => {
    expect(canonicalize(permuteKeys(JSON.parse('{"__proto__":"","a":1}'), 7))).toBe('{"__proto__":"","a":1}');
    fc.assert(
      fc.property(json, fc.integer({ min: 1, max: 0x7fffffff }), (x, seed) => {
        expect(canonicalize(permuteKeys(x, seed))).toBe(canonicalize(x));
      }),
      { numRuns: 300 },
    );
  });

  it('writes well-formed strings exactly as JSON.stringify does', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (s) => {
        expect(canonicalString(s)).toBe(JSON.stringify(s));
      }),
      { numRuns: 300 },
    );
  });
});
