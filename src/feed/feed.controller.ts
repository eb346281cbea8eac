import {
  ApiBearerAuth,
  ApiCreatedResponse,
  ApiHeader,
  ApiOkResponse,
  ApiOperation,
  ApiProduces,
  ApiProperty,
  ApiQuery,
  ApiTags,
} from '@nestjs/swagger';
import { Controller, Get, HttpCode, Inject, Post, Req, Res, UnauthorizedException } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ApiKeysService } from '../auth/api-keys.service';
import type { AuthedRequest } from '../auth/auth.guard';
import { RateLimiter, tooManyRequests } from '../auth/rate-limit';
import { Public, RequireAccess } from '../auth/roles';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { UnavailableError } from '../domain/errors';
import { API_KEY_SCHEME, ApiAccess, ApiProblems } from '../common/http/openapi';
import { RequestValidationError } from '../common/http/request-validation.error';
import { LogTail } from './log-tail';
import { RevokedKeyWatch } from './revoked-key-watch';
import { SseClient } from './sse-client';
import { STREAM_SLOTS, type StreamSlots } from './stream-slots';
import { StreamTickets } from './stream-tickets';

const POSITION = /^\d{1,15}$/;
const QUERY_FIELDS = new Set(['after', 'ticket']);
/** What a browser waits before reconnecting after the stream ends (ms), sent as `retry:`. */
const RETRY_MS = 2000;
/** Retry-After for a stream refused by a cap: streams end when their readers leave, not on a schedule. */
const STREAM_CAP_RETRY_S = 5;

export const SSE_MAX_BUFFERED_BYTES = Symbol('SSE_MAX_BUFFERED_BYTES');

const HOW_TO_GET_A_TICKET =
  'get a single-use ticket with POST /api/events/stream-tickets (Authorization: Bearer <key>), then open /api/events/stream?ticket=<ticket>';

/** POST /api/events/stream-tickets: a ticket for one connection to the live feed. */
export class StreamTicketSchema {
  @ApiProperty({ description: 'Pass as ?ticket= to GET /api/events/stream; opens one connection', example: 'clt_3q2m0V9cQf2x8n5YtHk7WbRzP1uL4sDgA6eJiTqXoNc' })
  ticket!: string;

  @ApiProperty({ description: 'The ticket is refused after this (SSE_TICKET_TTL_MS, 60 s)', format: 'date-time', example: '2022-03-30T08:01:00.000Z' })
  expiresAt!: string;
}

/**
 * GET /api/events/stream: the global feed as Server-Sent Events, and the tickets that open it.
 *
 * Access is the same as GET /api/events (viewer, or anyone when PUBLIC_READ), checked here rather
 * than by the global guard because a browser's EventSource cannot send headers: it opens the
 * stream with a short-lived single-use ticket (`?ticket=`), got with its key from POST
 * /api/events/stream-tickets. An API key is never taken from the URL (URLs end up in logs).
 *
 * Every stream takes a slot in its counts (src/feed/stream-slots.ts: in all, per key, per address
 * for keyless streams) and each attempt costs a read from the rate limiter, so streams cannot be
 * opened without bound; a stream whose key is revoked is closed (src/feed/revoked-key-watch.ts).
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
    @Inject(STREAM_SLOTS) private readonly slots: StreamSlots,
    private readonly tickets: StreamTickets,
    private readonly revokedKeys: RevokedKeyWatch,
  ) {}

  @Post('stream-tickets')
  @HttpCode(201)
  @RequireAccess('viewer')
  @ApiAccess('viewer')
  @ApiOperation({
    summary: 'A ticket to open the live feed once (for EventSource, which cannot send headers)',
    description:
      'Any key may read the feed. The ticket is valid for SSE_TICKET_TTL_MS (60 s) and opens one connection: GET /api/events/stream?ticket=<ticket>. The stream counts against this key\'s live-stream cap, and ends when the key is revoked. Get a new ticket for each (re)connection.',
  })
  @ApiCreatedResponse({ type: StreamTicketSchema })
  @ApiProblems(503)
  async issueTicket(@Req() req: AuthedRequest): Promise<StreamTicketSchema> {
    // The access rule above made sure a key came: principal is set.
    return this.tickets.issue(req.principal!.id);
  }

  @Get('stream')
  @Public()
  @ApiOperation({
    summary: 'The global feed live, as Server-Sent Events',
    description:
      'Each event is an SSE message with id: = its position. Resumes after Last-Event-ID (what EventSource sends on reconnect), else after ?after=, else from the start. Access as GET /api/events (viewer, or public with PUBLIC_READ): a key as "Authorization: Bearer <key>", or, for EventSource, ?ticket= from POST /api/events/stream-tickets. A key in the query string (access_token=) is refused. Streams are capped in all (SSE_MAX_CLIENTS), per key (SSE_MAX_CLIENTS_PER_KEY) and per client address without a key (SSE_MAX_CLIENTS_PER_IP); beyond a cap, 429.',
  })
  @ApiBearerAuth(API_KEY_SCHEME)
  @ApiHeader({ name: 'Last-Event-ID', required: false, description: 'Resume after this position', example: '42', schema: { type: 'string', pattern: '^[0-9]{1,15}$' } })
  @ApiQuery({ name: 'after', required: false, schema: { type: 'string', pattern: '^[0-9]{1,15}$' }, description: 'Start after this position', example: '0' })
  @ApiQuery({
    name: 'ticket',
    required: false,
    schema: { type: 'string', pattern: '^clt_[A-Za-z0-9_-]{43}$' },
    description: 'A single-use ticket from POST /api/events/stream-tickets (instead of the Authorization header)',
    example: 'clt_3q2m0V9cQf2x8n5YtHk7WbRzP1uL4sDgA6eJiTqXoNc',
  })
  @ApiProduces('text/event-stream')
  @ApiOkResponse({ description: 'An endless text/event-stream', content: { 'text/event-stream': { schema: { type: 'string' }, example: 'id: 1\nevent: ClaimRecorded\ndata: {"position":1,"type":"ClaimRecorded",...}\n\n' } } })
  @ApiProblems(400, 401, 429, 503)
  async stream(@Req() req: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const query = (req.query ?? {}) as Record<string, unknown>;
    const after = resumePoint(req.headers['last-event-id'], query);
    const keyId = await this.authorize(req, query);
    // Each attempt costs a read, like any request: opening streams in a loop is rate-limited too.
    const budget = await this.limiter.reads.take(keyId ? `key:${keyId}` : `ip:${req.ip}`);
    if (!budget.allowed) {
      throw tooManyRequests(reply, budget.retryAfterSec, `rate limit: at most ${this.limiter.reads.perMinute} reads (stream connections included) per minute; retry in ${budget.retryAfterSec} s`);
    }
    if (this.tail.isStopped) throw new UnavailableError('the service is shutting down');
    // A HEAD request opens no stream, so it takes no slot.
    const slot = req.method === 'HEAD' ? null : await this.slots.acquire(keyId ? { keyId } : { ip: req.ip });
    if (slot && !slot.ok) {
      throw tooManyRequests(
        reply,
        STREAM_CAP_RETRY_S,
        slot.cap === 'global'
          ? `the live feed is full (at most ${slot.max} streams at once); retry later`
          : slot.cap === 'key'
            ? `at most ${slot.max} live streams per API key; close one first`
            : `at most ${slot.max} live streams per client address without an API key; close one first, or send a key`,
      );
    }

    reply.hijack();
    const raw = reply.raw;
    if (!slot) {
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
    const client = new SseClient(this.nextClientId++, raw, after, this.maxBufferedBytes, this.config.sseSlowClientMs, keyId);
    client.onClose(slot.release);
    this.revokedKeys.add(client);
    this.tail.subscribe(client);
  }

  /**
   * The id of the key the stream counts against: the ticket's, else the Bearer key's; null for a
   * keyless stream (PUBLIC_READ), which counts against its client address instead.
   */
  private async authorize(req: FastifyRequest, query: Record<string, unknown>): Promise<string | null> {
    if (query.access_token !== undefined) {
      throw RequestValidationError.field('access_token', `API keys are not accepted in the URL (URLs end up in logs): ${HOW_TO_GET_A_TICKET}`);
    }
    if (query.ticket !== undefined) {
      if (typeof query.ticket !== 'string') throw RequestValidationError.field('ticket', 'send one ticket');
      const keyId = await this.tickets.redeem(query.ticket);
      if (!keyId) throw new UnauthorizedException(`the stream ticket is unknown, used or expired: ${HOW_TO_GET_A_TICKET}`);
      // The key may have been revoked since the ticket was issued.
      if ((await this.keys.revokedAmong([keyId])).size > 0) throw new UnauthorizedException('the API key this ticket was issued to is revoked');
      return keyId;
    }
    const header = req.headers.authorization;
    if (header) {
      const m = /^Bearer\s+(\S{1,512})\s*$/i.exec(header);
      const principal = m ? await this.keys.authenticate(m[1]) : null;
      // A key that is sent counts, under PUBLIC_READ too; an unknown one there reads as keyless.
      if (principal) return principal.id;
      if (this.config.publicRead) return null;
      throw new UnauthorizedException(m ? 'the API key is unknown or revoked' : 'the Authorization header must be "Bearer <key>": put "Bearer " before the key');
    }
    if (this.config.publicRead) return null;
    throw new UnauthorizedException(`send an API key as "Authorization: Bearer <key>", or, for EventSource, ${HOW_TO_GET_A_TICKET}`);
  }
}

/** `Last-Event-ID` wins over `?after=`; both must be a position (a whole number ≥ 0). */
export function resumePoint(lastEventId: string | string[] | undefined, query: Record<string, unknown>): number {
  for (const name of Object.keys(query)) {
    if (!QUERY_FIELDS.has(name) && name !== 'access_token') throw RequestValidationError.field(name, `unknown query parameter "${name}"`);
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
