import { Agent, request as httpRequest, type IncomingHttpHeaders } from 'node:http';

/**
 * A small HTTP client on node:http (no retries, no redirects, raw bodies and any header allowed)
 * that counts every 5xx the service answers outside /health. Each spec file's afterAll checks the
 * count is 0 and writes it into the suite's summary.
 */

export interface HttpAnswer<T = any> {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
  /** The parsed JSON body, when the body is JSON (problem+json included). */
  body: T;
}

export interface RequestOptions {
  /** An object is sent as JSON; a string or Buffer is sent as it is (malformed JSON, huge bodies). */
  body?: unknown;
  headers?: Record<string, string | string[]>;
  /** The API key for this request; null: none. Default the client's key. */
  key?: string | null;
  timeoutMs?: number;
}

export interface ServerErrorSeen {
  method: string;
  path: string;
  status: number;
  text: string;
}

/** Everything this test file's clients saw (one module instance per spec file under Jest). */
export const seen = {
  requests: 0,
  serverErrors: [] as ServerErrorSeen[],
};

/** Records an answer from any transport (the fuzz spec uses Fastify's inject). */
export function recordAnswer(method: string, path: string, status: number, text: string): void {
  seen.requests++;
  if (status >= 500 && !path.startsWith('/health')) seen.serverErrors.push({ method, path: path.slice(0, 200), status, text: text.slice(0, 500) });
}

export class Client {
  private readonly agent = new Agent({ keepAlive: true, maxSockets: 128 });

  constructor(
    readonly base: string,
    readonly key: string | null = null,
  ) {}

  /** The same service, another key. */
  as(key: string | null): Client {
    return new Client(this.base, key);
  }

  get<T = any>(path: string, o: RequestOptions = {}): Promise<HttpAnswer<T>> {
    return this.request('GET', path, o);
  }

  post<T = any>(path: string, body?: unknown, o: RequestOptions = {}): Promise<HttpAnswer<T>> {
    return this.request('POST', path, { ...o, body });
  }

  delete<T = any>(path: string, o: RequestOptions = {}): Promise<HttpAnswer<T>> {
    return this.request('DELETE', path, o);
  }

  request<T = any>(method: string, path: string, o: RequestOptions = {}): Promise<HttpAnswer<T>> {
    const url = new URL(path, this.base);
    const headers: Record<string, string | string[]> = { ...(o.headers ?? {}) };
    const key = o.key === undefined ? this.key : o.key;
    if (key) headers.authorization = `Bearer ${key}`;
    let payload: Buffer | null = null;
    if (o.body !== undefined) {
      payload = Buffer.isBuffer(o.body) ? o.body : Buffer.from(typeof o.body === 'string' ? o.body : JSON.stringify(o.body), 'utf8');
      if (!Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) headers['content-type'] = 'application/json';
      headers['content-length'] = String(payload.length);
    }
    return new Promise<HttpAnswer<T>>((resolve, reject) => {
      const req = httpRequest(
        { agent: this.agent, host: url.hostname, port: url.port, method, path: url.pathname + url.search, headers },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('error', reject);
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            const status = res.statusCode ?? 0;
            recordAnswer(method, path, status, text);
            let body: any = undefined;
            if (/json/.test(String(res.headers['content-type'] ?? '')) && text.length > 0) {
              try {
                body = JSON.parse(text);
              } catch {
                body = undefined;
              }
            }
            resolve({ status, headers: res.headers, text, body });
          });
        },
      );
      req.setTimeout(o.timeoutMs ?? 30_000, () => req.destroy(new Error(`${method} ${path} timed out`)));
      req.on('error', reject);
      if (payload) req.end(payload);
      else req.end();
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

/** Fails with the answer in the message unless the status is the expected one. */
export function expectStatus<T>(res: HttpAnswer<T>, status: number | number[], what = ''): HttpAnswer<T> {
  const ok = Array.isArray(status) ? status.includes(res.status) : res.status === status;
  if (!ok) throw new Error(`${what} answered ${res.status} (expected ${status}): ${res.text.slice(0, 800)}`);
  return res;
}

/** An RFC 9457 answer: problem+json content type and {type, title, status, detail}. */
export function isProblem(res: HttpAnswer, status?: number): boolean {
  if (status !== undefined && res.status !== status) return false;
  if (!/^application\/problem\+json/.test(String(res.headers['content-type'] ?? ''))) return false;
  const b = res.body as Record<string, unknown> | undefined;
  return !!b && b.status === res.status && typeof b.type === 'string' && typeof b.title === 'string' && typeof b.detail === 'string';
}
