/**
 * The report index read model's tables: imported reports by their dataset row (import v1), and
 * every report's place keys with its time, for matching a new pledge (src/domain/match-index.ts).
 */
export const EXTERNAL_REPORTS_TABLE = 'external_reports';
export const REPORT_KEYS_TABLE = 'report_keys';
export const REPORT_INDEX_TABLES = [EXTERNAL_REPORTS_TABLE, REPORT_KEYS_TABLE] as const;
