import type { INestApplicationContext } from '@nestjs/common';
import type { Logger as PinoLogger } from 'pino';

export interface ShutdownOptions {
  /** Starts closing the HTTP server (stop accepting, let in-flight requests finish). */
  closeHttp?: () => Promise<void>;
  /** After this long, give up waiting and exit 1 (SHUTDOWN_TIMEOUT_MS, default 25 s). */
  timeoutMs?: number;
  signals?: NodeJS.Signals[];
  exit?: (code: number) => void;
}

/**
 * Graceful shutdown on SIGTERM / SIGINT, in this order:
 * 1. the HTTP server stops accepting connections at once (closeHttp); requests in flight go on;
 * 2. app.close(): destroy hooks stop the dispatcher, let BullMQ workers finish the jobs they are
 *    running (Worker.close waits), close queues and Redis connections (JobsModule) and end live
 *    streams; then Nest waits for the HTTP server to finish the requests in flight;
 * 3. shutdown hooks: the event store drains its queued appends and closes, then TypeORM's
 *    connection (LedgerModule.onApplicationShutdown).
 * Exit code 0 when all of that finished, 1 on an error or after the timeout. A second signal
 * while shutting down is ignored (the timeout still bounds the wait).
 */
export function installGracefulShutdown(app: INestApplicationContext, logger: PinoLogger, options: ShutdownOptions = {}): void {
  const signals = options.signals ?? ['SIGTERM', 'SIGINT'];
  const timeoutMs = options.timeoutMs ?? 25_000;
  const exit = options.exit ?? ((code: number) => process.exit(code));
  let shuttingDown = false;

  const shutdown = async (signal: NodeJS.Signals): Promise<void> => {
    if (shuttingDown) {
      logger.warn({ signal }, 'already shutting down; signal ignored');
      return;
    }
    shuttingDown = true;
    const started = Date.now();
    logger.info({ signal, timeoutMs }, 'shutting down: no new requests, finishing work in flight');
    const timer = setTimeout(() => {
      logger.error({ signal, timeoutMs }, 'shutdown did not finish in time; exiting anyway');
      exit(1);
    }, timeoutMs);
    timer.unref();
    try {
      // Stop accepting at once; Nest's close (below) waits for this same close before the
      // database goes, while its destroy hooks stop the dispatcher, workers and live streams.
      const httpClosed = options.closeHttp?.() ?? Promise.resolve();
      httpClosed.catch(() => undefined);
      await app.close();
      await httpClosed;
      clearTimeout(timer);
      logger.info({ durationMs: Date.now() - started }, 'shut down cleanly');
      exit(0);
    } catch (err) {
      clearTimeout(timer);
      logger.error({ err: { message: (err as Error)?.message, stack: (err as Error)?.stack } }, 'shutdown failed');
      exit(1);
    }
  };
  for (const signal of signals) process.on(signal, (s: NodeJS.Signals) => void shutdown(s));
}

/**
 * Stops the HTTP server taking connections and resolves once the requests in flight have been
 * answered. Fastify's close closes keep-alive sockets that are idle at that moment only; a
 * socket whose request finishes later would hold the close for the keep-alive timeout (72 s),
 * so idle sockets are closed again every 50 ms. A live stream (SSE) that is still open after
 * `graceMs` (SHUTDOWN_HTTP_GRACE_MS, default 10 s) is cut.
 */
export async function closeHttpGracefully(
  fastify: { close(): Promise<unknown>; server: { closeIdleConnections?: () => void; closeAllConnections?: () => void } },
  graceMs: number,
): Promise<void> {
  const closing = fastify.close();
  const idle = setInterval(() => fastify.server.closeIdleConnections?.(), 50);
  const hard = setTimeout(() => fastify.server.closeAllConnections?.(), graceMs);
  idle.unref();
  hard.unref();
  try {
    await closing;
  } finally {
    clearInterval(idle);
    clearTimeout(hard);
  }
}
