import 'reflect-metadata';
import { DynamicModule, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { loadConfig, type AppConfig } from './config/app-config';
import { ConfigModule } from './config/config.module';
import { LedgerModule } from './ledger/ledger.module';
import { ProjectionsModule } from './projections/projections.module';
import { JobsModule } from './jobs/jobs.module';
import { JobRunnerModule } from './job-runner.module';
import { ImportRunnerModule } from './imports/imports.module';
import { WindowSchedulerModule } from './window-scheduler.module';
import { WebhooksModule } from './webhooks/webhooks.module';
import { OpsModule, createOpsRuntime, type OpsRuntime } from './ops/ops.module';
import { installGracefulShutdown } from './ops/shutdown';
import { startWorkerMetricsServer } from './ops/worker-metrics';

@Module({})
class WorkerModule {
  static register(config: AppConfig, ops: OpsRuntime): DynamicModule {
    return {
      module: WorkerModule,
      imports: [ConfigModule.register(config), LedgerModule, ProjectionsModule, JobRunnerModule.register(ops), JobsModule, WindowSchedulerModule, ImportRunnerModule, WebhooksModule.register({ http: false })],
    };
  }
}

/** `npm run worker`: BullMQ workers (and a log dispatcher) without the HTTP API. */
async function main(): Promise<void> {
  const config = loadConfig(process.env, { runWorkers: true });
  if (!config.redisUrl) throw new Error('npm run worker needs REDIS_URL: without Redis, jobs run inside the API process');
  const ops = createOpsRuntime(config);
  const app = await NestFactory.createApplicationContext(OpsModule.root(WorkerModule.register(config, ops), ops, { http: false }), {
    logger: ops.nestLogger,
    abortOnError: false,
  });
  // METRICS_PORT: the worker's own /metrics (jobs_*, events it appended) for Prometheus.
  const metricsServer = config.metricsPort ? await startWorkerMetricsServer(config.metricsPort, config.host, ops.metrics, ops.logger, config.metricsToken) : null;
  installGracefulShutdown(app, ops.logger, {
    timeoutMs: config.shutdownTimeoutMs,
    closeHttp: async () => void (metricsServer && (await new Promise((r) => metricsServer.close(r)))),
  });
  ops.logger.info({ database: config.databasePath, queuePrefix: config.queuePrefix }, 'worker running');
}

main().catch((err) => {
  // eslint-disable-next-line no-console
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
