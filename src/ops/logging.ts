import type { LoggerService } from '@nestjs/common';
import pino, { type DestinationStream, type Logger as PinoLogger } from 'pino';
import { currentLogContext } from '../common/log-context';

/**
 * Structured logs: pino, one JSON object per line on stdout.
 *
 * The ids a line is about (the HTTP request id, or a job's correlation id, queue and causation
 * position) are put in scope around the writing of the line (runWithLogContext) and mixed into it:
 * the request's one `request completed` line and any error it ends in carry `reqId`; a job's
 * lines carry the `correlationId` of the request that caused it. The scope is synchronous, not an
 * AsyncLocalStorage: on Node 20 one AsyncLocalStorage turns on promise hooks for every promise in
 * the process (about 7% of an API request's CPU, docs/performance.md), so whoever writes a line
 * about a request or a job says so where it writes it (src/ops/instrumentation.ts,
 * src/common/http/problem.filter.ts).
 *
 * Never logged: request or response bodies, headers (so no Authorization, no API keys), query
 * strings. Paths that could carry a secret are redacted as a second line of defence.
 */

export { currentLogContext, runWithLogContext, type LogContext } from '../common/log-context';

const LEVEL_ALIASES: Record<string, pino.LevelWithSilent> = {
  fatal: 'fatal',
  error: 'error',
  warn: 'warn',
  info: 'info',
  log: 'info',
  debug: 'debug',
  verbose: 'trace',
  trace: 'trace',
  silent: 'silent',
};

export function pinoLevel(level: string): pino.LevelWithSilent {
  return LEVEL_ALIASES[level.trim().toLowerCase()] ?? 'info';
}

/** Keys that must never reach a log line, wherever they appear. */
export const REDACTED_PATHS = [
  'authorization',
  'headers.authorization',
  'req.headers.authorization',
  'headers["x-api-key"]',
  'apiKey',
  'adminApiKey',
  '*.authorization',
  '*.apiKey',
  '*.adminApiKey',
];

export function createRootLogger(level: string, destination?: DestinationStream): PinoLogger {
  return pino(
    {
      level: pinoLevel(level),
      base: { service: 'claim-ledger', pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      messageKey: 'msg',
      mixin: () => ({ ...currentLogContext() }),
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    },
    // Synchronous writes: a line written just before exit (shutdown, a refused start) is not lost.
    destination ?? pino.destination({ dest: 1, sync: true }),
  );
}

/** Nest's own start-up chatter (module and route mapping): debug, not info. */
const CHATTY_CONTEXTS = new Set(['InstanceLoader', 'RoutesResolver', 'RouterExplorer', 'NestFactory', 'NestApplication']);

/** Nest's LoggerService on top of pino, so `new Logger('X').log(...)` anywhere becomes a JSON line. */
export class PinoNestLogger implements LoggerService {
  constructor(readonly pino: PinoLogger) {}

  log(message: unknown, ...params: unknown[]): void {
    const { context } = split(params, false);
    this.write(context && CHATTY_CONTEXTS.has(context) ? 'debug' : 'info', message, params, false);
  }

  error(message: unknown, ...params: unknown[]): void {
    this.write('error', message, params, true);
  }

  warn(message: unknown, ...params: unknown[]): void {
    this.write('warn', message, params, false);
  }

  debug(message: unknown, ...params: unknown[]): void {
    this.write('debug', message, params, false);
  }

  verbose(message: unknown, ...params: unknown[]): void {
    this.write('trace', message, params, false);
  }

  fatal(message: unknown, ...params: unknown[]): void {
    this.write('fatal', message, params, true);
  }

  private write(level: pino.Level, message: unknown, params: unknown[], withStack: boolean): void {
    if (!this.pino.isLevelEnabled(level)) return;
    const { context, stack } = split(params, withStack);
    const fields: Record<string, unknown> = {};
    if (context) fields.context = context;
    if (message instanceof Error) {
      fields.err = { type: message.name, message: message.message, stack: message.stack };
      this.pino[level](fields, message.message);
      return;
    }
    if (stack) fields.stack = stack;
    if (typeof message === 'object' && message !== null) {
      this.pino[level]({ ...fields, data: message }, '');
      return;
    }
    this.pino[level](fields, String(message));
  }
}

/** Nest passes `(message, context)`, or for errors `(message, stack, context)`. */
function split(params: unknown[], withStack: boolean): { context?: string; stack?: string } {
  if (params.length === 0) return {};
  const looksLikeStack = (v: unknown): v is string => typeof v === 'string' && /\n\s+at /.test(v);
  const last = params[params.length - 1];
  if (withStack && params.length === 1 && looksLikeStack(last)) return { stack: last };
  const context = typeof last === 'string' ? last : undefined;
  const stack = withStack && params.length >= 2 && typeof params[0] === 'string' ? params[0] : undefined;
  return { context, stack };
}
