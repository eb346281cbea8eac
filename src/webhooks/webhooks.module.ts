import { Inject, Module, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { DataSource } from 'typeorm';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { foldClaim } from '../domain/claim.decider';
import { claimStreamId } from '../domain/events';
import { EventStore } from '../ledger/event-store';
import { LedgerReader } from '../ledger/ledger-reader';
import { WebhookDispatcher } from './webhook-dispatcher';
import { WebhookSender } from './webhook-sender';
import { WebhookStore } from './webhook-store';
import { WebhooksController } from './webhooks.controller';
import { WebhooksService } from './webhooks.service';

const WEBHOOK_OPTIONS = Symbol('WEBHOOK_OPTIONS');
const nowOf = (config: AppConfig) => config.clock ?? (() => new Date());

/**
 * Webhooks (WORKFLOW.md): endpoints (admin routes), a dispatcher that turns the log into
 * outbox rows, and a sender that attempts them (BullMQ with Redis, the outbox loop without).
 * `http: false` (the worker process): no routes and no dispatcher (the API processes turn the log
 * into deliveries; one more reader per worker would only add write transactions that insert
 * nothing); its sender attempts deliveries (the BullMQ worker of webhook-deliver).
 */
@Module({})
export class WebhooksModule implements OnApplicationBootstrap, OnModuleDestroy {
  static register(options: { http: boolean }) {
    return {
      module: WebhooksModule,
      controllers: options.http ? [WebhooksController] : [],
      providers: [
        { provide: WEBHOOK_OPTIONS, useValue: options },
        { provide: WebhookStore, inject: [EventStore, DataSource], useFactory: (store: EventStore, ds: DataSource) => new WebhookStore(store, ds) },
        {
          provide: WebhookSender,
          inject: [WebhookStore, APP_CONFIG],
          useFactory: (store: WebhookStore, config: AppConfig) =>
            new WebhookSender(store, {
              retryScheduleMs: config.webhookRetryScheduleMs,
              timeoutMs: config.webhookTimeoutMs,
              allowPrivate: config.webhookAllowPrivate,
              now: nowOf(config),
              pollIntervalMs: config.pollIntervalMs,
              redisUrl: config.redisUrl,
              queuePrefix: config.queuePrefix,
              runWorker: config.runWorkers,
              concurrency: Math.max(2, config.workerConcurrency),
            }),
        },
        {
          provide: WebhookDispatcher,
          inject: [WebhookStore, EventStore, LedgerReader, WebhookSender, APP_CONFIG],
          useFactory: (store: WebhookStore, events: EventStore, reader: LedgerReader, sender: WebhookSender, config: AppConfig) =>
            new WebhookDispatcher(
              store,
              events,
              reader,
              sender,
              async (claimId, reviewId) => {
                const review = foldClaim(await reader.readStream(claimStreamId(claimId))).reviews.find((r) => r.reviewId === reviewId);
                return review ? { rating: review.rating, explanation: review.explanation } : null;
              },
              { pollIntervalMs: config.pollIntervalMs, now: nowOf(config) },
            ),
        },
        {
          provide: WebhooksService,
          inject: [WebhookStore, WebhookSender, LedgerReader, APP_CONFIG],
          useFactory: (store: WebhookStore, sender: WebhookSender, reader: LedgerReader, config: AppConfig) =>
            new WebhooksService(store, sender, config, async () => (await reader.head()).position, nowOf(config)),
        },
      ],
      exports: [WebhookSender, WebhookDispatcher, WebhookStore],
    };
  }

  constructor(
    @Inject(WebhookSender) private readonly sender: WebhookSender,
    @Inject(WEBHOOK_OPTIONS) private readonly options: { http: boolean },
    private readonly moduleRef: ModuleRef,
  ) {}

  private dispatcher: WebhookDispatcher | null = null;

  async onApplicationBootstrap(): Promise<void> {
    await this.sender.start();
    if (this.options.http) {
      const dispatcher = this.moduleRef.get(WebhookDispatcher);
      this.dispatcher = dispatcher;
      await dispatcher.start();
    }
  }

  /** Before the database closes: no new deliveries, attempts in flight finish. */
  async onModuleDestroy(): Promise<void> {
    await this.dispatcher?.stop();
    await this.sender.stop();
  }
}
