import { ApiBearerAuth, ApiHeader, ApiOkResponse, ApiOperation, ApiProduces, ApiQuery, ApiTags } from '@nestjs/swagger';
import { Controller, Get, Inject, Req, Res, UnauthorizedException } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ApiKeysService } from '../auth/api-keys.service';
import { RateLimiter, tooManyRequests } from '../auth/rate-limit';
import { Public } from '../auth/roles';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { UnavailableError } from '../domain/errors';
import { API_KEY_SCHEME, ApiProblems } from '../common/http/openapi';
import { RequestValidationError } from '../common/http/request-validation.error';
import { LogTail } from './log-tail';
import { SseClient } from './sse-client';

const POSITION = /^\d{1,15}$/;
const QUERY_FIELDS = new Set(['after', 'access_token']);
/** What a browser waits before reconnecting after the stream ends (ms), sent as `retry:`. */
const RETRY_MS = 2000;

export const SSE_MAX_BUFFERED_BYTES = Symbol('SSE_MAX_BUFFERED_BYTES');

/**
 * GET /api/events/stream: the global feed as Server-Sent Events.
 *
 * Access is the same as GET /api/events (viewer, or anyone when PUBLIC_READ), checked here
 * rather than by the global guard because a browser's EventSource cannot send headers: on this
 * route only, the key may also come as `?access_token=<key>`. (Use a viewer key for that: URLs
 * end up in logs and browser history.)
 *
 * Where it starts: after `Last-Event-ID` (what EventSource sends on reconnect), else after
 * `?after=`, else from the beginning of the log (as GET /api/events does).
 */
@ApiTags('ledger')
@Controller('api/events')
export class FeedController {
  private nextClientId = 1;

  constructor(
    private readonly tail: LogTail,
    private readonly keys: ApiKeysService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(SSE_MAX_BUFFERED_BYTES) private readonly maxBufferedBytes: number,
    private readonly limiter: RateLimiter,
  ) {}

  @Get('stream')
  @Public()
  @ApiOperation({ summary: 'The global feed live, as Server-Sent Events', description: 'Each event is an SSE message with id: = its position. Resumes after Last-Event-ID (what EventSource sends on reconnect), else after ?after=, else from the start. Access as GET /api/events (viewer, or public with PUBLIC_READ); for EventSource, which cannot send headers, the key may come as ?access_token= (use a viewer key).' })
  @ApiBearerAuth(API_KEY_SCHEME)
  @ApiHeader({ name: 'Last-Event-ID', required: false, description: 'Resume after this position', example: '42' })
  @ApiQuery({ name: 'after', required: false, type: 'integer', description: 'Start after this position' })
  @ApiQuery({ name: 'access_token', required: false, type: String, description: 'An API key, for EventSource clients' })
  @ApiProduces('text/event-stream')
  @ApiOkResponse({ description: 'An endless text/event-stream', content: { 'text/event-stream': { schema: { type: 'string' }, example: 'id: 1\nevent: ClaimRecorded\ndata: {"position":1,"type":"ClaimRecorded",...}\n\n' } } })
  @ApiProblems(400, 401, 503)
  async stream(@Req() req: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const query = (req.query ?? {}) as Record<string, unknown>;
    const keyId = await this.authorize(req, query);
    const after = resumePoint(req.headers['last-event-id'], query);
    if (this.tail.isStopped) throw new UnavailableError('the service is shutting down');
    // Live streams per API key are capped (SSE_MAX_CLIENTS_PER_KEY, src/auth/rate-limit.ts); the slot is freed when the stream closes.
    const release = keyId && req.method !== 'HEAD' ? this.limiter.streams.acquire(`key:${keyId}`) : () => undefined;
    if (!release) throw tooManyRequests(reply, 5, `at most ${this.limiter.streams.max} live streams per API key; close one first`);

    reply.hijack();
    const raw = reply.raw;
    if (req.method === 'HEAD') {
      raw.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache, no-store, no-transform' });
      raw.end();
      return;
    }
    raw.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-store, no-transform',
      connection: 'keep-alive',
      // nginx and friends buffer responses unless told not to.
      'x-accel-buffering': 'no',
      'x-request-id': String(req.id),
    });
    req.raw.socket?.setNoDelay(true);
    req.raw.socket?.setKeepAlive(true, 30_000);
    // The first bytes flush the headers at once; the comment says where the stream starts.
    raw.write(`retry: ${RETRY_MS}\n: claim-ledger events after ${after}\n\n`);
    const client = new SseClient(this.nextClientId++, raw, after, this.maxBufferedBytes);
    client.onClose(release);
    this.tail.subscribe(client);
  }

  /** The key's id (null when reads are public: keyless streams are not capped per key). */
  private async authorize(req: FastifyRequest, query: Record<string, unknown>): Promise<string | null> {
    if (this.config.publicRead) return null;
    const header = req.headers.authorization;
    let key: string | null = null;
    if (header) {
      const m = /^Bearer\s+(\S{1,512})\s*$/i.exec(header);
      key = m ? m[1] : null;
    } else if (typeof query.access_token === 'string' && query.access_token.length > 0) {
      key = query.access_token.slice(0, 512);
    }
    const principal = key ? await this.keys.authenticate(key) : null;
    if (!principal) {
      throw new UnauthorizedException(
        header || query.access_token !== undefined
          ? 'the API key is unknown or revoked'
          : 'send an API key as "Authorization: Bearer <key>" (or, for EventSource, as ?access_token=<key>)',
      );
    }
    // Every role includes viewer: any known key may read the feed.
    return principal.id;
  }
}

/** `Last-Event-ID` wins over `?after=`; both must be a position (a whole number ≥ 0). */
export function resumePoint(lastEventId: string | string[] | undefined, query: Record<string, unknown>): number {
  for (const name of Object.keys(query)) {
    if (!QUERY_FIELDS.has(name)) throw RequestValidationError.field(name, `unknown query parameter "${name}"`);
  }
  if (Array.isArray(lastEventId)) {
    throw RequestValidationError.field('Last-Event-ID', 'send one Last-Event-ID header');
  }
  if (lastEventId !== undefined && lastEventId.trim() !== '') {
    const v = lastEventId.trim();
    if (!POSITION.test(v)) {
      throw RequestValidationError.field(
        'Last-Event-ID',
        `Last-Event-ID must be the id of an event received from this feed (a whole number ≥ 0), got "${v.slice(0, 40)}"`,
      );
    }
    return Number(v);
  }
  const after = query.after;
  if (after === undefined) return 0;
  if (typeof after !== 'string' || !POSITION.test(after)) {
    throw RequestValidationError.field('after', 'after must be a whole number (a position) of 0 or more');
  }
  return Number(after);
}
