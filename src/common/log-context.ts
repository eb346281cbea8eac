/**
 * What a log line is about (src/ops/logging.ts mixes it into every line): the HTTP request id,
 * or a job's correlation id, queue and causation position. Here, not in src/ops/, so that code
 * outside the app's assembly (the problem filter) can say which request its line is about.
 *
 * The scope is synchronous, not an AsyncLocalStorage: on Node 20 one AsyncLocalStorage turns on
 * promise hooks for every promise in the process (about 7% of an API request's CPU, see
 * docs/performance.md), so whoever writes a line about a request or a job puts its ids in scope
 * around that line (src/ops/instrumentation.ts, src/common/http/problem.filter.ts).
 */
export interface LogContext {
  reqId?: string;
  correlationId?: string;
  queue?: string;
  /** Ledger position of the event a job was planned from (its causation). */
  causationPosition?: number;
}

/** The context of the code running now; set only while runWithLogContext's function runs. */
let current: LogContext | undefined;

/**
 * Runs `fn` with `ctx` added to the current context, or (fresh) instead of it, for the lines `fn`
 * writes before it returns (synchronously: not across its awaits).
 */
export function runWithLogContext<T>(ctx: LogContext, fn: () => T, fresh = false): T {
  const outer = current;
  current = fresh || !outer ? { ...ctx } : { ...outer, ...ctx };
  try {
    return fn();
  } finally {
    current = outer;
  }
}

export function currentLogContext(): LogContext | undefined {
  return current;
}
