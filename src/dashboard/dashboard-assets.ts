import { Inject, Injectable, Logger } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import type { FastifyReply } from 'fastify';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { problem, sendProblem } from '../common/http/problem';

const TYPES: Record<string, string> = {
  html: 'text/html; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
  svg: 'image/svg+xml',
};

/** Only these files are served: a fixed list, so no path from a request ever reaches the disk. */
export const DASHBOARD_FILES = ['index.html', 'app.js', 'style.css', 'transparency.js', 'imports.js'] as const;

const CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/**
 * The folder with the page's files. They are plain files under src/dashboard/public, not
 * compiled: from src/ (tests through swc) it is next to this file; from dist/dashboard it is
 * ../../src/dashboard/public. DASHBOARD_DIR overrides both.
 */
export function resolvePublicDir(configured: string | null = null): string {
  const candidates = [
    configured,
    join(__dirname, 'public'),
    join(__dirname, '..', '..', 'src', 'dashboard', 'public'),
    join(process.cwd(), 'src', 'dashboard', 'public'),
  ].filter((d): d is string => !!d);
  const found = candidates.find((d) => existsSync(join(d, 'index.html')));
  if (!found) throw new Error(`dashboard files not found; looked in ${candidates.join(', ')}`);
  return found;
}

interface Asset {
  body: Buffer;
  type: string;
  etag: string;
}

@Injectable()
export class DashboardAssets {
  private readonly logger = new Logger('Dashboard');
  private readonly dir: string;
  private readonly cache = new Map<string, Asset>();

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.dir = resolvePublicDir(config.dashboardDir);
  }

  private load(name: string): Asset | null {
    if (!(DASHBOARD_FILES as readonly string[]).includes(name)) return null;
    const cached = this.cache.get(name);
    if (cached) return cached;
    try {
      const body = readFileSync(join(this.dir, name));
      const asset = {
        body,
        type: TYPES[name.slice(name.lastIndexOf('.') + 1)] ?? 'application/octet-stream',
        etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`,
      };
      this.cache.set(name, asset);
      return asset;
    } catch (err) {
      this.logger.error(`cannot read dashboard file ${name}: ${(err as Error).message}`);
      return null;
    }
  }

  send(reply: FastifyReply, name: string): void {
    const asset = this.load(name);
    if (!asset) {
      sendProblem(reply, problem(404, `no dashboard file named ${JSON.stringify(name.slice(0, 80))}`));
      return;
    }
    reply
      .header('content-type', asset.type)
      .header('cache-control', 'no-cache')
      .header('etag', asset.etag)
      .header('content-security-policy', CSP)
      .header('x-content-type-options', 'nosniff')
      .header('referrer-policy', 'no-referrer');
    const inm = reply.request.headers['if-none-match'];
    if (inm && inm === asset.etag) {
      reply.status(304).send();
      return;
    }
    reply.status(200).send(asset.body);
  }
}
