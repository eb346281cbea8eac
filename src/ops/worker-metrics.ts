import { createServer, type Server } from 'node:http';
import type { Logger as PinoLogger } from 'pino';
import { metricsTokenMatches, type OpsMetrics } from './metrics';

/**
 * A worker process has no HTTP API; with METRICS_PORT set it serves GET /metrics (Prometheus
 * text, the worker's own counters: jobs_*, events it appended, dispatch lag) on that port;
 * with METRICS_TOKEN, only for `Authorization: Bearer <METRICS_TOKEN>`.
 */
export async function startWorkerMetricsServer(port: number, host: string, metrics: OpsMetrics, logger: PinoLogger, token: string | null = null): Promise<Server> {
  const server = createServer((req, res) => {
    if (req.method === 'GET' && (req.url ?? '').split('?')[0] === '/metrics') {
      // METRICS_TOKEN guards the worker's /metrics as it does the API's.
      if (token !== null && !metricsTokenMatches(req.headers.authorization, token)) {
        res.writeHead(401, { 'content-type': 'application/problem+json', 'www-authenticate': 'Bearer realm="metrics"' });
        res.end(JSON.stringify({ type: 'urn:claim-ledger:problem:unauthorized', title: 'Unauthorized', status: 401, detail: 'GET /metrics needs "Authorization: Bearer <METRICS_TOKEN>"' }));
        return;
      }
      metrics.render().then(
        (body) => {
          res.writeHead(200, { 'content-type': metrics.contentType(), 'cache-control': 'no-store' });
          res.end(body);
        },
        (err: Error) => {
          res.writeHead(500, { 'content-type': 'text/plain' });
          res.end(`metrics failed: ${err.message}`);
        },
      );
      return;
    }
    res.writeHead(404, { 'content-type': 'application/problem+json' });
    res.end(JSON.stringify({ type: 'urn:claim-ledger:problem:not-found', title: 'Not Found', status: 404, detail: 'only GET /metrics here' }));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  logger.info({ port }, 'worker metrics on /metrics');
  return server;
}
