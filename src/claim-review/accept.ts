/**
 * Does this Accept header prefer HTML to JSON? (GET /claims/:id answers its errors as a page for
 * a browser, as problem+json for an API client.) No Accept, or `*\/*` alone: HTML, the route's own
 * type. Hand-written: one comparison of q-values; RFC 9110 §12.5.1 media ranges and `q`.
 */
export function prefersHtml(accept: string | undefined): boolean {
  if (!accept || !accept.trim()) return true;
  const ranges = accept.split(',').map((part) => {
    const [range, ...params] = part.trim().toLowerCase().split(';');
    const q = params.map((p) => /^\s*q=([01](?:\.\d{0,3})?)\s*$/.exec(p)).find(Boolean);
    return { range: range.trim(), q: q ? Number(q[1]) : 1 };
  });
  const quality = (type: string): number => {
    const [main] = type.split('/');
    // The most specific range that matches decides (RFC 9110): exact, then type/*, then */*.
    const match = ranges.find((r) => r.range === type) ?? ranges.find((r) => r.range === `${main}/*`) ?? ranges.find((r) => r.range === '*/*');
    return match ? match.q : 0;
  };
  const html = quality('text/html');
  const json = Math.max(quality('application/json'), quality('application/problem+json'));
  return html > 0 && html >= json;
}
