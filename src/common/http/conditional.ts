/**
 * `If-None-Match` (RFC 9110 §13.1.2): true when the header names `etag` (weak comparison, so
 * `W/"3"` matches `"3"`) or is `*`. A list of tags is allowed; anything unparsable matches nothing.
 */
export function ifNoneMatchHits(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  if (header.trim() === '*') return true;
  const opaque = (tag: string) => tag.trim().replace(/^W\//, '');
  const wanted = opaque(etag);
  return header.split(',').some((tag) => opaque(tag) === wanted);
}
