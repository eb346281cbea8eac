/** The claims list's tables: one row per claim (filters, status, list summary), and its normalised topics. */
export const CLAIMS_TABLE = 'claims';
export const CLAIM_TOPICS_TABLE = 'claim_topics';
export const CLAIMS_LIST_TABLES = [CLAIMS_TABLE, CLAIM_TOPICS_TABLE] as const;
