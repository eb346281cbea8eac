import http from 'node:http';

export interface SseMessage {
  id?: string;
  event: string;
  data: string;
}

/** A minimal Server-Sent Events client over node:http, for tests and the capacity bench. */
export class SseReader {
  readonly messages: SseMessage[] = [];
  comments = 0;
  ended = false;
  retry: number | null = null;
  private buffer = '';
  private current: { id?: string; event?: string; data: string[] } = { data: [] };
  private readonly listeners = new Set<() => void>();

  private constructor(
    readonly status: number,
    readonly headers: http.IncomingHttpHeaders,
    private readonly req: http.ClientRequest,
    private readonly res: http.IncomingMessage,
  ) {
    res.setEncoding('utf8');
    res.on('data', (chunk: string) => this.feed(chunk));
    res.on('end', () => this.finish());
    res.on('close', () => this.finish());
    res.on('error', () => this.finish());
  }

  static open(url: string, headers: Record<string, string> = {}, agent?: http.Agent): Promise<SseReader> {
    return new Promise((resolve, reject) => {
      const req = http.get(url, { headers: { accept: 'text/event-stream', ...headers }, agent: agent ?? false }, (res) => {
        resolve(new SseReader(res.statusCode ?? 0, res.headers, req, res));
      });
      req.on('error', reject);
    });
  }

  /** Positions (ids) of the messages received, in order. */
  get ids(): number[] {
    return this.messages.map((m) => Number(m.id));
  }

  get lastId(): number {
    const last = this.messages[this.messages.length - 1];
    return last ? Number(last.id) : 0;
  }

  /** The raw body (for error answers, which are not streams). */
  async text(): Promise<string> {
    await this.until(() => this.ended, 5000, 'the body to end');
    return this.raw;
  }
  private raw = '';

  /** Polls the condition on every message (and every 20 ms) until it holds or the deadline passes. */
  until(cond: () => boolean, timeoutMs = 10_000, what = 'condition'): Promise<void> {
    if (cond()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const check = () => {
        if (cond()) {
          cleanup();
          resolve();
        }
      };
      const timer = setInterval(check, 20);
      const deadline = setTimeout(() => {
        cleanup();
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what} (have ${this.messages.length} messages, last id ${this.lastId}, ended ${this.ended})`));
      }, timeoutMs);
      const cleanup = () => {
        clearInterval(timer);
        clearTimeout(deadline);
        this.listeners.delete(check);
      };
      this.listeners.add(check);
    });
  }

  /** Drops the connection (as a browser tab closing would). */
  close(): void {
    this.req.destroy();
    this.res.destroy();
    this.finish();
  }

  private finish(): void {
    if (this.ended) return;
    this.ended = true;
    for (const l of [...this.listeners]) l();
  }

  private feed(chunk: string): void {
    this.raw += this.status === 200 ? '' : chunk;
    this.buffer += chunk;
    let idx: number;
    while ((idx = this.buffer.search(/\r\n|\r|\n/)) >= 0) {
      const line = this.buffer.slice(0, idx);
      const sepLen = this.buffer[idx] === '\r' && this.buffer[idx + 1] === '\n' ? 2 : 1;
      this.buffer = this.buffer.slice(idx + sepLen);
      this.line(line);
    }
    for (const l of [...this.listeners]) l();
  }

  private line(line: string): void {
    if (line === '') {
      if (this.current.data.length > 0) {
        this.messages.push({ id: this.current.id, event: this.current.event ?? 'message', data: this.current.data.join('\n') });
      }
      this.current = { data: [] };
      return;
    }
    if (line.startsWith(':')) {
      this.comments++;
      return;
    }
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'data') this.current.data.push(value);
    else if (field === 'id') this.current.id = value;
    else if (field === 'event') this.current.event = value;
    else if (field === 'retry') this.retry = Number(value);
  }
}
