import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Received {
  headers: IncomingHttpHeaders;
  body: string;
  at: number;
}

/**
 * A real local HTTP receiver for webhook tests: records every request and answers with the
 * statuses queued in `script` (then `fallback`).
 */
export class Receiver {
  readonly received: Received[] = [];
  script: number[] = [];
  fallback = 200;
  private server: Server | null = null;
  port = 0;

  async listen(port = 0): Promise<this> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        this.received.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), at: Date.now() });
        res.statusCode = this.script.length > 0 ? this.script.shift()! : this.fallback;
        res.end('ok');
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(port, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}/hook`;
  }

  async close(): Promise<void> {
    const s = this.server;
    this.server = null;
    if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
  }

  bodies(): Array<{ type: string; timestamp: string; data: Record<string, unknown> & { position: number; hash: string } }> {
    return this.received.map((r) => JSON.parse(r.body));
  }
}
