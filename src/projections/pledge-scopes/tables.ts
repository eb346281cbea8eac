/** The pledge scopes read model's table: each pledge's scope (for the matcher), in log order. */
export const PLEDGE_SCOPES_TABLE = 'pledge_scopes';
/** Index of the scopes by place key (name or grid cell) and window, for matching reports (src/domain/match-index.ts). */
export const PLEDGE_SCOPE_KEYS_TABLE = 'pledge_scope_keys';
export const PLEDGE_SCOPES_TABLES = [PLEDGE_SCOPES_TABLE, PLEDGE_SCOPE_KEYS_TABLE] as const;
