import type { SqlExecutor } from './sql-executor';

/** The event store's own connection: the one path every write takes. */
export interface WriterConnection extends SqlExecutor {
  readonly dialect: 'sqlite' | 'postgres';
  exec(sql: string): Promise<void>;
  /** Starts a transaction that holds the ledger's write lock until COMMIT or ROLLBACK. */
  beginWrite(): Promise<void>;
  /** A lock wait that ran out: worth retrying, answered 503 at the edge. */
  isBusy(err: unknown): boolean;
  close(): Promise<void>;
}
