/** The evidence read model's tables: one row per piece of evidence or field report, and where each is attached. */
export const EVIDENCE_TABLE = 'evidence';
export const ATTACHMENTS_TABLE = 'attachments';
export const EVIDENCE_TABLES = [EVIDENCE_TABLE, ATTACHMENTS_TABLE] as const;
