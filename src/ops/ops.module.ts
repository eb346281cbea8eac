import { DynamicModule, Inject, Module, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import type { Queue } from 'bullmq';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { TerminusModule } from '@nestjs/terminus';
import type { DestinationStream, Logger as PinoLogger } from 'pino';
import { DataSource } from 'typeorm';
import { ApiKeysService } from '../auth/api-keys.service';
import type { AppConfig } from '../config/app-config';
import { BullMqJobSink } from '../jobs/bullmq';
import { QUEUE_NAMES } from '../jobs/job-plan';
import type { JobSink } from '../jobs/job-sink';
import { JOB_SINK, JobsModule } from '../jobs/jobs.module';
import { LogDispatcher } from '../jobs/log-dispatcher';
import { DeadLetterStore } from '../jobs/dead-letters';
import { EventStore } from '../ledger/event-store';
import { ChainVerifier } from '../ledger/chain-verifier';
import { WindowScheduler } from '../jobs/window-scheduler';
import { WebhookSender } from '../webhooks/webhook-sender';
import { claimCountsByStatus } from '../projections/claims-list/queries';
import { HealthChecks } from './health';
import { instrumentHttp } from './instrumentation';
import { PinoNestLogger, createRootLogger } from './logging';
import { OpsMetrics } from './metrics';
import { setupOpenApi } from './openapi/setup';
import { OpsController } from './ops.controller';
import { registerQueueBoard, registerQueueBoardAbsent } from './queue-board';

@Module({})
class OpsRootModule {}

/** What one app instance (API or worker process) logs to and counts in; made before Nest starts. */
export interface OpsRuntime {
  logger: PinoLogger;
  nestLogger: PinoNestLogger;
  metrics: OpsMetrics;
}

export const OPS_RUNTIME = Symbol('OPS_RUNTIME');

export function createOpsRuntime(config: Pick<AppConfig, 'logLevel'>, destination?: DestinationStream): OpsRuntime {
  const logger = createRootLogger(config.logLevel, destination);
  return { logger, nestLogger: new PinoNestLogger(logger), metrics: new OpsMetrics() };
}

/**
 * Operations: metrics and structured logs for every process; with `http`, also GET /health,
 * GET /metrics (OpsController). The Fastify-level pieces (request hooks, OpenAPI, queue board)
 * are added by `installHttpOps` before the app initialises.
 */
@Module({})
export class OpsModule implements OnModuleInit, OnModuleDestroy {
  /** A root module: the app's own module plus operations, so AppModule need not know about them. */
  static root(appModule: DynamicModule, runtime: OpsRuntime, options: { http: boolean }): DynamicModule {
    return { module: OpsRootModule, imports: [appModule, OpsModule.register(runtime, options)] };
  }

  static register(runtime: OpsRuntime, options: { http: boolean }): DynamicModule {
    return {
      module: OpsModule,
      imports: [JobsModule, ...(options.http ? [TerminusModule.forRoot({ logger: false })] : [])],
      controllers: options.http ? [OpsController] : [],
      providers: [
        { provide: OPS_RUNTIME, useValue: runtime },
        { provide: OpsMetrics, useValue: runtime.metrics },
        ...(options.http ? [HealthChecks] : []),
      ],
      exports: [OPS_RUNTIME, OpsMetrics],
    };
  }

  private unsubscribe: (() => void) | null = null;

  constructor(
    @Inject(OPS_RUNTIME) private readonly runtime: OpsRuntime,
    private readonly store: EventStore,
    private readonly dispatcher: LogDispatcher,
    private readonly ds: DataSource,
    @Inject(JOB_SINK) private readonly sink: JobSink,
    private readonly moduleRef: ModuleRef,
  ) {}

  private unsubscribeWebhooks: (() => void) | null = null;
  private unsubscribeVerifier: (() => void) | null = null;

  onModuleInit(): void {
    const { logger, metrics } = this.runtime;
    const webhooks = optional(this.moduleRef, WebhookSender);
    this.unsubscribeWebhooks = webhooks?.onAttempt((o) => metrics.observeWebhook(o.result, o.lagSeconds)) ?? null;
    this.unsubscribeVerifier = optional(this.moduleRef, ChainVerifier)?.onRun((run) => metrics.observeVerify(run.mode, run.rehashed)) ?? null;
    const workflowQueues = () => extraQueues(this.moduleRef);
    this.unsubscribe = this.store.onCommit((_head, appended) => {
      try {
        metrics.countAppended(appended ?? []);
      } catch {
        /* metrics never get in the way of a commit */
      }
    });
    const sink = this.sink;
    const deadLetters = optional(this.moduleRef, DeadLetterStore);
    metrics.bind({
      dispatchLag: () => this.dispatcher.status(),
      claimsByStatus: () => claimCountsByStatus(this.ds),
      ...(deadLetters ? { deadLetters: () => deadLetters.counts() } : {}),
      ...(sink instanceof BullMqJobSink
        ? {
            queueCounts: () =>
              Promise.all([
                ...QUEUE_NAMES.map(async (queue) => ({ queue, counts: await sink.queue(queue).getJobCounts() })),
                ...workflowQueues().map(async (q) => ({ queue: q.name, counts: await q.getJobCounts() })),
              ]),
          }
        : {}),
    });
  }

  onModuleDestroy(): void {
    this.unsubscribe?.();
    this.unsubscribeWebhooks?.();
    this.unsubscribeVerifier?.();
  }
}

function optional<T>(ref: ModuleRef, token: new (...args: never[]) => T): T | null {
  try {
    return ref.get(token, { strict: false });
  } catch {
    return null;
  }
}

/** The window-close and webhook-deliver queues (with Redis), for the board and the gauges. */
function extraQueues(ref: Pick<ModuleRef, 'get'>): Queue[] {
  const out: Queue[] = [];
  for (const token of [WindowScheduler, WebhookSender] as const) {
    try {
      const q = (ref.get(token as never, { strict: false }) as { queue: Queue | null }).queue;
      if (q) out.push(q);
    } catch {
      /* not part of this process */
    }
  }
  return out;
}

/**
 * Fastify-level operations for the API process, installed after NestFactory.create (providers
 * exist) and before app.init (routes not yet registered): request hooks (request id in every log
 * line, one line and one histogram sample per request), the queue board at /queues, and the
 * OpenAPI document at /docs and /docs-json.
 */
export function installHttpOps(app: NestFastifyApplication, config: AppConfig, runtime: OpsRuntime): void {
  const fastify = app.getHttpAdapter().getInstance();
  instrumentHttp(fastify, runtime.logger, runtime.metrics);
  const sink = app.get<JobSink>(JOB_SINK, { strict: false });
  const board = Boolean(config.redisUrl) && sink instanceof BullMqJobSink;
  if (board) {
    const keys = app.get(ApiKeysService, { strict: false });
    registerQueueBoard(
      fastify,
      [...QUEUE_NAMES.map((name) => (sink as BullMqJobSink).queue(name)), ...extraQueues(app)],
      (key) => keys.authenticate(key),
    );
  } else {
    registerQueueBoardAbsent(fastify);
  }
  setupOpenApi(app, board);
}
