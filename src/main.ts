import 'reflect-metadata';
import { loadConfig } from './config/app-config';
import { createApp } from './app.factory';
import { createOpsRuntime } from './ops/ops.module';
import { closeHttpGracefully, installGracefulShutdown } from './ops/shutdown';

async function main(): Promise<void> {
  const config = loadConfig();
  const ops = createOpsRuntime(config);
  const app = await createApp(config, ops).catch((err: unknown) => {
    ops.logger.fatal({ err: { message: (err as Error)?.message } }, 'claim-ledger could not start');
    throw err;
  });
  await app.listen(config.port, config.host);
  installGracefulShutdown(app, ops.logger, {
    timeoutMs: config.shutdownTimeoutMs,
    closeHttp: () => closeHttpGracefully(app.getHttpAdapter().getInstance(), config.shutdownHttpGraceMs),
  });
  ops.logger.info(
    { port: config.port, host: config.host, database: config.databasePath, jobs: config.redisUrl ? 'bullmq' : 'in-process', runWorkers: config.runWorkers },
    `listening on http://${config.host}:${config.port}`,
  );
}

main().catch((err) => {
  // eslint-disable-next-line no-console
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
