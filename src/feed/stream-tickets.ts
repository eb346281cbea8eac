import { createHash, randomBytes } from 'node:crypto';
import type IORedis from 'ioredis';
import { UnavailableError } from '../domain/errors';

/**
 * Stream tickets: what a browser's EventSource (which cannot send headers) presents instead of
 * an API key, so keys never travel in URLs (and so never land in proxy or access logs). A ticket
 * is issued to a key by POST /api/events/stream-tickets, is valid SSE_TICKET_TTL_MS (60 s), and
 * opens one connection: redeeming it deletes it.
 *
 * Only a SHA-256 of each ticket is stored, beside the id of the key it was issued to: in memory
 * without Redis, else in Redis with a TTL (`<QUEUE_PREFIX>:sse-ticket:<hash>`, taken with GETDEL)
 * so that any API process can redeem a ticket another issued.
 */

export interface IssuedTicket {
  ticket: string;
  expiresAt: string;
}

const TICKET_PATTERN = /^clt_[A-Za-z0-9_-]{43}$/;

function ticketHash(ticket: string): string {
  return createHash('sha256').update(ticket, 'utf8').digest('hex');
}

function newTicket(): string {
  return `clt_${randomBytes(32).toString('base64url')}`;
}

export abstract class StreamTickets {
  constructor(
    readonly ttlMs: number,
    protected readonly now: () => number,
  ) {}

  /** A new ticket for the key `keyId`. */
  async issue(keyId: string): Promise<IssuedTicket> {
    const ticket = newTicket();
    const expiresAt = this.now() + this.ttlMs;
    await this.put(ticketHash(ticket), keyId, expiresAt);
    return { ticket, expiresAt: new Date(expiresAt).toISOString() };
  }

  /** The key id the ticket was issued to, once; null for an unknown, used or expired ticket. */
  async redeem(ticket: string): Promise<string | null> {
    if (!TICKET_PATTERN.test(ticket)) return null;
    return this.take(ticketHash(ticket));
  }

  protected abstract put(hash: string, keyId: string, expiresAt: number): Promise<void>;
  protected abstract take(hash: string): Promise<string | null>;
  stop(): void {}
}

/** One process's tickets (no Redis). Expired ones are swept as new ones are issued. */
export class MemoryStreamTickets extends StreamTickets {
  private readonly tickets = new Map<string, { keyId: string; expiresAt: number }>();

  protected async put(hash: string, keyId: string, expiresAt: number): Promise<void> {
    if (this.tickets.size >= 1000) this.sweep();
    this.tickets.set(hash, { keyId, expiresAt });
  }

  protected async take(hash: string): Promise<string | null> {
    const t = this.tickets.get(hash);
    if (!t) return null;
    this.tickets.delete(hash);
    return t.expiresAt > this.now() ? t.keyId : null;
  }

  private sweep(): void {
    const now = this.now();
    for (const [hash, t] of this.tickets) if (t.expiresAt <= now) this.tickets.delete(hash);
  }
}

/** Tickets in Redis, shared by every API process. */
export class RedisStreamTickets extends StreamTickets {
  constructor(
    ttlMs: number,
    private readonly redis: IORedis,
    private readonly prefix: string,
  ) {
    super(ttlMs, Date.now);
  }

  protected async put(hash: string, keyId: string): Promise<void> {
    try {
      await this.redis.set(`${this.prefix}:sse-ticket:${hash}`, keyId, 'PX', this.ttlMs);
    } catch {
      throw new UnavailableError('stream tickets cannot be issued while Redis does not answer; retry shortly');
    }
  }

  protected async take(hash: string): Promise<string | null> {
    try {
      return await this.redis.getdel(`${this.prefix}:sse-ticket:${hash}`);
    } catch {
      throw new UnavailableError('stream tickets cannot be checked while Redis does not answer; retry shortly');
    }
  }
}
