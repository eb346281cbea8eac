import 'reflect-metadata';
import { DynamicModule, Global, Logger, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { APP_CONFIG, loadConfig, type AppConfig } from './config/app-config';
import { LedgerModule } from './ledger/ledger.module';
import { ProjectionsModule } from './projections/projections.module';
import { JobsModule } from './jobs/jobs.module';

@Global()
@Module({})
class WorkerConfigModule {
  static register(config: AppConfig): DynamicModule {
    return { module: WorkerConfigModule, providers: [{ provide: APP_CONFIG, useValue: config }], exports: [APP_CONFIG] };
  }
}

@Module({})
class WorkerModule {
  static register(config: AppConfig): DynamicModule {
    return { module: WorkerModule, imports: [WorkerConfigModule.register(config), LedgerModule, ProjectionsModule, JobsModule] };
  }
}

/** `npm run worker`: BullMQ workers (and a log dispatcher) without the HTTP API. */
async function main(): Promise<void> {
  const config = loadConfig(process.env, { runWorkers: true });
  if (!config.redisUrl) throw new Error('npm run worker needs REDIS_URL: without Redis, jobs run inside the API process');
  const app = await NestFactory.createApplicationContext(WorkerModule.register(config), { logger: ['fatal', 'error', 'warn', 'log'] });
  app.enableShutdownHooks();
  new Logger('claim-ledger').log(`worker running (database ${config.databasePath}, queues prefix ${config.queuePrefix})`);
}

main().catch((err) => {
  // eslint-disable-next-line no-console
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
