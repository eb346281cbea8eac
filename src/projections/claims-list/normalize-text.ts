/**
 * How the claims list matches text: statements, speaker names and topics are stored in this form
 * (statement_norm, speaker_norm, topic_norm) and the list's filters are normalised the same way.
 */
export const normalizeText = (s: string): string => s.trim().toLowerCase();
