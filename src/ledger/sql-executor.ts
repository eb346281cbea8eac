/** The minimal SQL surface the event store's transaction hands to inline projections. */
export interface SqlExecutor {
  run(sql: string, params?: unknown[]): Promise<{ changes: number; lastID: number }>;
  all<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
  get<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T | undefined>;
}
