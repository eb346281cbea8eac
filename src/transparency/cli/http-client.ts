/** The public routes the tools use, over Node's fetch, with an optional viewer key. */
export class LogClient {
  readonly base: string;

  constructor(
    base: string,
    private readonly key: string | null,
  ) {
    let url: URL;
    try {
      url = new URL(base);
    } catch {
      throw new UsageError(`--log must be an absolute http(s) URL, got "${base}"`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new UsageError(`--log must be an http(s) URL, got "${base}"`);
    this.base = url.toString().replace(/\/+$/, '');
  }

  private headers(extra: Record<string, string> = {}): Record<string, string> {
    return { ...(this.key ? { authorization: `Bearer ${this.key}` } : {}), ...extra };
  }

  async request(path: string, init: { method?: string; body?: string; contentType?: string } = {}): Promise<{ status: number; text: string }> {
    let res: Response;
    try {
      res = await fetch(`${this.base}${path}`, {
        method: init.method ?? 'GET',
        headers: this.headers(init.contentType ? { 'content-type': init.contentType } : {}),
        body: init.body,
      });
    } catch (err) {
      throw new Error(`${this.base}${path}: ${(err as Error).cause instanceof Error ? ((err as Error).cause as Error).message : (err as Error).message}`);
    }
    return { status: res.status, text: await res.text() };
  }

  async getText(path: string): Promise<string> {
    const res = await this.request(path);
    if (res.status !== 200) throw new HttpError(path, res.status, res.text);
    return res.text;
  }

  async getJson<T>(path: string): Promise<T> {
    return JSON.parse(await this.getText(path)) as T;
  }
}

export class UsageError extends Error {}

export class HttpError extends Error {
  constructor(
    readonly path: string,
    readonly status: number,
    readonly body: string,
  ) {
    super(`GET ${path} answered ${status}${status === 401 || status === 403 ? ' (reads need a key: --key or LEDGER_API_KEY)' : ''}: ${detailOf(body)}`);
  }
}

function detailOf(body: string): string {
  try {
    const p = JSON.parse(body) as { detail?: string };
    if (p.detail) return p.detail;
  } catch {
    /* not JSON */
  }
  return body.slice(0, 200);
}
