import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Logger as PinoLogger } from 'pino';
import type { JobData, JobOutcome, QueueName } from '../jobs/job-plan';
import type { JobRunner } from '../jobs/job-runner';
import { runWithLogContext } from './logging';
import type { OpsMetrics } from './metrics';

type Principalled = FastifyRequest & { principal?: { id: string; role: string } };

/**
 * HTTP: every request ends with one `request completed` line (carrying its `reqId`; an error it
 * ends in is logged with it too, by the problem filter) and one histogram observation labelled by
 * the route pattern, never the raw URL (bounded cardinality). Logged: id, method, route, path (no
 * query string), status, duration, and the API key's id (never the key).
 */
export function instrumentHttp(fastify: FastifyInstance, logger: PinoLogger, metrics: OpsMetrics): void {
  fastify.addHook('onRequest', (req, reply, done) => {
    // Set now rather than in an onSend hook (one less hook, and an async one, per request): the
    // header stays on whatever answer the request gets, errors included.
    reply.header('x-request-id', String(req.id));
    done();
  });
  fastify.addHook('onResponse', (req: Principalled, reply, done) => {
    const route = req.routeOptions?.url ?? 'unmatched';
    const status = reply.statusCode;
    const seconds = reply.elapsedTime / 1000;
    metrics.httpDuration.observe({ method: req.method, route, code: String(status) }, seconds);
    // Success lines are info: under LOG_LEVEL=warn (busy deployments) not even built.
    if (status < 500 && !logger.isLevelEnabled('info')) return done();
    const line = {
      reqId: String(req.id),
      method: req.method,
      route,
      path: req.url.split('?')[0],
      status,
      durationMs: Math.round(reply.elapsedTime * 100) / 100,
      ...(req.principal ? { keyId: req.principal.id, role: req.principal.role } : {}),
    };
    // 503 is the service saying "not now" (shutting down, a dependency away), not a fault of its own.
    if (status >= 500 && status !== 503) logger.error(line, 'request completed');
    else if (status === 503) logger.warn(line, 'request completed');
    else logger.info(line, 'request completed');
    done();
  });
}

/**
 * Jobs: wraps the one entry point every job goes through (the job runner, called by the BullMQ
 * workers and by the in-process runner alike) so each attempt is timed, counted by queue and
 * outcome, and logged with the job's correlationId (the request id that caused it), queue and
 * causation position. Returns a new runner; the handlers are unchanged.
 */
export function instrumentJobs(runner: JobRunner, rootLogger: PinoLogger, metrics: OpsMetrics): JobRunner {
  return {
    run: async (queue: QueueName, data: JobData): Promise<JobOutcome> => {
      // Each line in a fresh context: in-process jobs may run inside whichever request's commit woke the dispatcher.
      const context = { correlationId: data.correlationId, queue, causationPosition: data.position };
      const logger = {
        info: (fields: object, msg: string) => runWithLogContext(context, () => rootLogger.info(fields, msg), true),
        warn: (fields: object, msg: string) => runWithLogContext(context, () => rootLogger.warn(fields, msg), true),
      };
      const started = process.hrtime.bigint();
      const elapsed = () => Number(process.hrtime.bigint() - started) / 1e9;
      const ids = { ...(data.claimId ? { claimId: data.claimId } : {}), ...(data.evidenceId ? { evidenceId: data.evidenceId } : {}) };
      try {
        const outcome = await runner.run(queue, data);
        const seconds = elapsed();
        metrics.observeJob(queue, seconds, true);
        if (outcome.dropped) {
          // Its data contradicts the ledger (a forged or corrupted job): not retried, but seen.
          metrics.countDroppedJob(queue);
          logger.warn({ ...ids, position: data.position, reason: outcome.dropped }, 'job dropped: its data does not match the ledger');
          return outcome;
        }
        logger.info({ ...ids, durationMs: Math.round(seconds * 1e5) / 100, appended: outcome.appended, detail: outcome.detail }, 'job completed');
        return outcome;
      } catch (err) {
        const seconds = elapsed();
        metrics.observeJob(queue, seconds, false);
        logger.warn({ ...ids, durationMs: Math.round(seconds * 1e5) / 100, err: { message: (err as Error)?.message ?? String(err) } }, 'job attempt failed');
        throw err;
      }
    },
  };
}
