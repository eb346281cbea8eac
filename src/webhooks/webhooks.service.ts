import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { RequestValidationError } from '../common/http/request-validation.error';
import { NotFoundError } from '../domain/errors';
import type { AppConfig } from '../config/app-config';
import { parseWebhookUrl, resolveAllowed, WebhookUrlError } from './ssrf-guard';
import type { CreateWebhookDto, UpdateWebhookDto } from './webhook.dto';
import type { DeliveryPageSchema, DeliverySchema, RedeliveryAcceptedSchema, WebhookCreatedSchema, WebhookSchema } from './webhook.schema';
import { newWebhookSecret } from './webhook-signing';
import type { Delivery, Endpoint, WebhookStore } from './webhook-store';
import type { WebhookSender } from './webhook-sender';

export function webhookView(e: Endpoint): WebhookSchema {
  return {
    id: e.id,
    url: e.url,
    events: e.events,
    description: e.description,
    enabled: e.enabled,
    disabledReason: e.disabledReason,
    createdAt: e.createdAt,
    updatedAt: e.updatedAt,
  };
}

export function deliveryView(d: Delivery): DeliverySchema {
  return {
    id: d.id,
    type: d.type,
    position: d.position,
    attempts: d.attempts,
    state: d.state,
    lastStatus: d.lastStatus,
    lastError: d.lastError,
    nextAttemptAt: d.state === 'pending' ? d.nextAttemptAt : null,
    deliveredAt: d.deliveredAt,
  };
}

/** Webhook endpoints (admin): the routes' logic. Deliveries come from the log (WebhookDispatcher), never from here. */
@Injectable()
export class WebhooksService {
  constructor(
    private readonly store: WebhookStore,
    private readonly sender: WebhookSender,
    private readonly config: Pick<AppConfig, 'webhookAllowPrivate'>,
    private readonly head: () => Promise<number>,
    private readonly now: () => Date,
  ) {}

  async create(dto: CreateWebhookDto): Promise<WebhookCreatedSchema> {
    const url = await this.checkUrl(dto.url);
    const at = this.now().toISOString();
    const endpoint: Endpoint = {
      id: randomUUID(),
      url,
      events: [...dto.events],
      description: dto.description ?? null,
      secret: newWebhookSecret(),
      enabled: true,
      disabledReason: null,
      // Events after the head now: an endpoint gets what happens from its creation on.
      fromPosition: await this.head(),
      createdAt: at,
      updatedAt: at,
    };
    await this.store.createEndpoint(endpoint);
    return { ...webhookView(endpoint), secret: endpoint.secret };
  }

  async list(): Promise<WebhookSchema[]> {
    return (await this.store.endpoints()).map(webhookView);
  }

  async update(id: string, dto: UpdateWebhookDto): Promise<WebhookSchema> {
    await this.endpoint(id);
    const url = dto.url !== undefined ? await this.checkUrl(dto.url) : undefined;
    await this.store.updateEndpoint(
      id,
      { url, events: dto.events, enabled: dto.enabled, ...(dto.enabled === true ? { disabledReason: null } : {}) },
      this.now().toISOString(),
    );
    if (dto.enabled === true) this.sender.wake();
    return webhookView(await this.endpoint(id));
  }

  async remove(id: string): Promise<void> {
    if (!(await this.store.deleteEndpoint(id))) throw new NotFoundError(`no webhook with id ${id}`, 'id');
  }

  async deliveries(id: string, limit = 50, cursor?: string): Promise<DeliveryPageSchema> {
    await this.endpoint(id);
    let before: { position: number; id: string } | null = null;
    if (cursor) {
      const m = /^(\d{1,15}):(msg_[0-9a-z_]{1,60})$/.exec(cursor);
      if (!m) throw RequestValidationError.field('cursor', 'cursor must be the nextCursor of a previous page');
      before = { position: Number(m[1]), id: m[2] };
    }
    const rows = await this.store.deliveries(id, before, limit + 1);
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    return { items: page.map(deliveryView), nextCursor: rows.length > limit && last ? `${last.position}:${last.id}` : null };
  }

  async redeliver(id: string, deliveryId: string): Promise<RedeliveryAcceptedSchema> {
    await this.endpoint(id);
    const now = this.now().toISOString();
    if (!(await this.store.redeliver(id, deliveryId, now))) {
      throw new NotFoundError(`no delivery ${deliveryId} for webhook ${id}`, 'did');
    }
    // A request never talks to Redis: the outbox loop (woken here, in-process) or, with Redis, the
    // sender's sweep (within about a second) takes the row from the database.
    this.sender.wake();
    return { id: deliveryId, state: 'pending' };
  }

  private async endpoint(id: string): Promise<Endpoint> {
    const e = await this.store.endpoint(id);
    if (!e) throw new NotFoundError(`no webhook with id ${id}`, 'id');
    return e;
  }

  /** http(s) only; the host must resolve, and not to a refused range (unless WEBHOOK_ALLOW_PRIVATE). */
  private async checkUrl(raw: string): Promise<string> {
    try {
      const url = parseWebhookUrl(raw.trim());
      await resolveAllowed(url.hostname, this.config.webhookAllowPrivate);
      return url.toString();
    } catch (err) {
      if (err instanceof WebhookUrlError) throw RequestValidationError.field('url', err.message);
      throw err;
    }
  }
}
