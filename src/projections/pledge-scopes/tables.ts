/** The pledge scopes read model's table: each pledge's scope (for the matcher), in log order. */
export const PLEDGE_SCOPES_TABLE = 'pledge_scopes';
export const PLEDGE_SCOPES_TABLES = [PLEDGE_SCOPES_TABLE] as const;
