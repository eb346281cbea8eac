import fastifyStatic from '@fastify/static';
import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { existsSync } from 'node:fs';
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

/**
 * Sends the page's files with @fastify/static (`reply.sendFile`, registered here without routes
 * of its own): it reads from disk, sets ETag / Last-Modified and answers If-None-Match with 304.
 * Only DASHBOARD_FILES are sent: a fixed list, so no path from a request ever reaches the disk.
 */
@Injectable()
export class DashboardAssets implements OnModuleInit {
  private readonly dir: string;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly adapterHost: HttpAdapterHost,
  ) {
    this.dir = resolvePublicDir(config.dashboardDir);
  }

  /** Adds `reply.sendFile` to the app's Fastify instance (before it starts; no routes of its own). */
  onModuleInit(): void {
    const fastify = this.adapterHost.httpAdapter?.getInstance<FastifyInstance>();
    fastify?.register(fastifyStatic, { root: this.dir, serve: false });
  }

  send(reply: FastifyReply, name: string): void {
    if (!(DASHBOARD_FILES as readonly string[]).includes(name)) {
      sendProblem(reply, problem(404, `no dashboard file named ${JSON.stringify(name.slice(0, 80))}`));
      return;
    }
    reply
      .header('content-type', TYPES[name.slice(name.lastIndexOf('.') + 1)] ?? 'application/octet-stream')
      .header('cache-control', 'no-cache')
      .header('content-security-policy', CSP)
      .header('x-content-type-options', 'nosniff')
      .header('referrer-policy', 'no-referrer');
    // Our content type and cache policy, not @fastify/static's defaults.
    reply.sendFile(name, this.dir, { contentType: false, cacheControl: false });
  }
}
