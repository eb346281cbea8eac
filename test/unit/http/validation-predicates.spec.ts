import fc from 'fast-check';
import { isText, nestedDeeperThan, textProblem } from '../../../src/common/http/validation';

/*
 * The allocation-free forms of two checks every write runs (issue 17) answer exactly as the
 * plain forms they replaced: textProblem(...) === null for IsText, and the explicit-stack walk for
 * the depth bound (kept here as the reference).
 */

const WHITE = [' ', '\t', '\n', '\r', '\u000b', '\f', '\u00a0', '\u1680', '\u2000', '\u200a', '\u2028', '\u2029', '\u202f', '\u205f', '\u3000', '\ufeff'];
const PIECES = ['a', 'é', '😀', '\ud800', '\udc00', '\u0000', '\u0007', '\u007f', '\u0085', '\u00a0', ...WHITE];

/** Strings made for IsText's edges: white space, pairs and lone halves, control characters, lengths near the bounds. */
const edgyText = fc.oneof(
  fc.array(fc.constantFrom(...PIECES), { maxLength: 12 }).map((parts) => parts.join('')),
  fc.string({ unit: 'binary', maxLength: 12 }),
  fc.string({ unit: 'grapheme', maxLength: 12 }),
  fc.tuple(fc.constantFrom('a', '😀', ' ', 'a😀'), fc.integer({ min: 0, max: 12 }), fc.constantFrom('', ' ', '\ud800', '\u0001')).map(([s, n, tail]) => s.repeat(n) + tail),
);

describe('isText is textProblem(...) === null', () => {
  it.each([
    [1, 5],
    [0, 3],
    [3, 6],
    [1, 1],
  ])('IsText(%i, %i) on edgy strings', (min, max) => {
    fc.assert(
      fc.property(edgyText, (s) => {
        expect(isText(s, min, max)).toBe(textProblem(s, min, max) === null);
      }),
      { numRuns: 3000 },
    );
  });

  it.each<unknown>([undefined, null, 5, {}, ['a'], true])('refuses %p', (v) => {
    expect(isText(v, 0, 10)).toBe(false);
    expect(textProblem(v, 0, 10)).not.toBeNull();
  });

  it('counts characters, not UTF-16 units, at the bounds', () => {
    expect(isText('😀'.repeat(5), 1, 5)).toBe(true); // 10 units, 5 characters
    expect(isText('😀'.repeat(6), 1, 5)).toBe(false);
    expect(isText('😀', 2, 5)).toBe(false); // 2 units, 1 character
    expect(isText('\u00a0\u3000', 1, 5)).toBe(false); // blank
    expect(isText('\u0085', 1, 5)).toBe(true); // NEL is not white space to trim()
  });
});

/** The depth check as it was: an explicit stack of [value, depth]. */
function referenceDeeperThan(value: unknown, max: number): boolean {
  const stack: Array<[unknown, number]> = [[value, 0]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!;
    if (v === null || typeof v !== 'object') continue;
    if (depth >= max) return true;
    for (const child of Object.values(v as object)) stack.push([child, depth + 1]);
  }
  return false;
}

describe('nestedDeeperThan answers as the explicit-stack walk', () => {
  it('on random JSON values and bounds', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 8 }), fc.integer({ min: 0, max: 9 }), (value, max) => {
        expect(nestedDeeperThan(value, max)).toBe(referenceDeeperThan(value, max));
      }),
      { numRuns: 3000 },
    );
  });

  it('on chains exactly at and past the bound, through objects and arrays', () => {
    for (let depth = 0; depth <= 40; depth++) {
      let v: unknown = 1;
      for (let i = 0; i < depth; i++) v = i % 2 ? { k: v } : [0, v];
      for (const max of [0, 1, 31, 32, 33]) expect(nestedDeeperThan(v, max)).toBe(referenceDeeperThan(v, max));
    }
  });

  it('is not fooled by inherited keys, and does not recurse past the bound on a very deep value', () => {
    const proto = { deep: { deeper: { deepest: {} } } };
    const child = Object.create(proto) as object;
    expect(nestedDeeperThan(child, 1)).toBe(referenceDeeperThan(child, 1));
    let v: unknown = {};
    for (let i = 0; i < 100_000; i++) v = [v];
    expect(nestedDeeperThan(v, 32)).toBe(true);
  });
});
