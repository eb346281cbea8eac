/**
 * The methods each registered path answers, for `405 Method Not Allowed` with `Allow` (RFC 9110
 * §15.5.6): Fastify's router says only "no route" for a known path asked with another method.
 * Filled from Fastify's onRoute hook; patterns use Fastify's syntax (`:param`, trailing `*`).
 */
export class RouteTable {
  private readonly routes: Array<{ pattern: RegExp; methods: Set<string> }> = [];
  private readonly byUrl = new Map<string, Set<string>>();

  add(methods: string | string[], url: string): void {
    let known = this.byUrl.get(url);
    if (!known) {
      known = new Set();
      this.byUrl.set(url, known);
      this.routes.push({ pattern: patternOf(url), methods: known });
    }
    for (const m of Array.isArray(methods) ? methods : [methods]) known.add(m.toUpperCase());
  }

  /** The methods some route answers at this path (sorted); empty when no route has the path. */
  allowed(path: string): string[] {
    const out = new Set<string>();
    for (const r of this.routes) if (r.pattern.test(path)) for (const m of r.methods) out.add(m);
    return [...out].sort();
  }
}

function patternOf(url: string): RegExp {
  const body = url
    .split('/')
    .map((segment) => {
      if (segment === '*') return '.*';
      if (segment.startsWith(':')) return '[^/]+';
      return segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    })
    .join('/');
  // A trailing slash is the same resource (Fastify's ignoreTrailingSlash is off: keep it exact).
  return new RegExp(`^${body}$`);
}
