/**
 * RFC 8785 JSON Canonicalization Scheme (JCS).
 *
 * Strings and numbers are serialised exactly as ECMAScript's JSON.stringify / Number#toString
 * do (which is what RFC 8785 specifies), object keys are sorted by UTF-16 code units, and
 * there is no whitespace. Values JSON cannot represent (undefined, functions, NaN, Infinity,
 * lone surrogates) are refused rather than silently dropped, because a hash over a lossy
 * serialisation could not be recomputed by anyone else.
 */
export class CanonicalJsonError extends Error {}

export function canonicalize(value: unknown): string {
  switch (typeof value) {
    case 'string':
      return canonicalString(value);
    case 'number':
      return canonicalNumber(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'object':
      if (value === null) return 'null';
      if (Array.isArray(value)) return canonicalArray(value);
      return canonicalObject(value as Record<string, unknown>);
    default:
      throw new CanonicalJsonError(`cannot canonicalize a value of type ${typeof value}`);
  }
}

export function canonicalString(value: string): string {
  if (!value.isWellFormed()) throw new CanonicalJsonError('string contains a lone surrogate');
  return JSON.stringify(value);
}

function canonicalNumber(value: number): string {
  if (!Number.isFinite(value)) throw new CanonicalJsonError(`cannot canonicalize number ${value}`);
  // Number#toString is the ECMAScript algorithm RFC 8785 adopts; it also maps -0 to "0".
  return String(value);
}

function canonicalArray(items: unknown[]): string {
  let out = '[';
  for (let i = 0; i < items.length; i++) {
    if (i > 0) out += ',';
    const item = items[i];
    out += item === undefined ? 'null' : canonicalize(item);
  }
  return out + ']';
}

function canonicalObject(obj: Record<string, unknown>): string {
  if (typeof (obj as { toJSON?: unknown }).toJSON === 'function') {
    return canonicalize((obj as { toJSON: () => unknown }).toJSON());
  }
  // Default sort compares UTF-16 code units, exactly as RFC 8785 requires.
  const keys = Object.keys(obj).sort();
  let out = '{';
  let first = true;
  for (const key of keys) {
    const member = obj[key];
    if (member === undefined) continue; // as JSON.stringify: absent, not null
    if (!first) out += ',';
    first = false;
    out += canonicalString(key) + ':' + canonicalize(member);
  }
  return out + '}';
}
