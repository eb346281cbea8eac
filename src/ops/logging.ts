import type { LoggerService } from '@nestjs/common';
import { AsyncLocalStorage } from 'node:async_hooks';
import pino, { type DestinationStream, type Logger as PinoLogger } from 'pino';

/**
 * Structured logs: pino, one JSON object per line on stdout.
 *
 * What is in scope while a line is written (the HTTP request id, or the job's correlation id)
 * comes from an AsyncLocalStorage and is mixed into every line, so a line written deep inside a
 * service during a request carries `reqId`, and a line written while a job runs carries the
 * `correlationId` of the request that caused it.
 *
 * Never logged: request or response bodies, headers (so no Authorization, no API keys), query
 * strings. Paths that could carry a secret are redacted as a second line of defence.
 */

export interface LogContext {
  reqId?: string;
  correlationId?: string;
  queue?: string;
  /** Ledger position of the event a job was planned from (its causation). */
  causationPosition?: number;
}

const logContext = new AsyncLocalStorage<LogContext>();

/** Runs `fn` with `ctx` added to the current context, or (fresh) instead of it. */
export function runWithLogContext<T>(ctx: LogContext, fn: () => T, fresh = false): T {
  return logContext.run(fresh ? { ...ctx } : { ...(logContext.getStore() ?? {}), ...ctx }, fn);
}

export function currentLogContext(): LogContext | undefined {
  return logContext.getStore();
}

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
      mixin: () => ({ ...(logContext.getStore() ?? {}) }),
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
