import type { DataSource } from 'typeorm';
import { RequestValidationError } from '../../common/http/request-validation.error';
import type { ClaimKind, VerificationStatus } from '../../domain/types';
import { normalizeText } from './normalize-text';

/** The claims list's filters (GET /api/claims), all optional; text filters match as normalizeText says. */
export interface ClaimListFilter {
  limit?: number;
  kind?: ClaimKind;
  status?: VerificationStatus;
  speaker?: string;
  /** Text in the statement. */
  q?: string;
  topic?: string;
  /** nextCursor of the previous page. */
  cursor?: string;
}

/**
 * Newest first, keyset-paginated on the log position, so concurrent writes never shift a page.
 * The page as JSON text, built without parsing the rows: each row's summary is stored as
 * JSON text (kind, statement, speaker, madeAt, source, topics) and spliced in between the id
 * and the row's own columns. Parsing 50 summaries and serialising them again was a third of
 * this route's CPU.
 */
export async function listClaimsJson(ds: DataSource, q: ClaimListFilter): Promise<string> {
  const limit = q.limit ?? 50;
  const where: string[] = [];
  const params: unknown[] = [];
  if (q.kind) (where.push('c.kind = ?'), params.push(q.kind));
  if (q.status) (where.push('c.status = ?'), params.push(q.status));
  if (q.speaker) (where.push('c.speaker_norm = ?'), params.push(normalizeText(q.speaker)));
  if (q.q) (where.push(`c.statement_norm LIKE ? ESCAPE '\\'`), params.push(`%${normalizeText(q.q).replace(/[\\%_]/g, (m) => '\\' + m)}%`));
  if (q.topic) (where.push('c.id IN (SELECT claim_id FROM claim_topics WHERE topic_norm = ?)'), params.push(normalizeText(q.topic)));
  if (q.cursor) (where.push('c.position < ?'), params.push(decodeCursor(q.cursor)));
  const sql =
    'SELECT c.id, c.position, c.status, c.version, c.recorded_at, c.updated_at, c.summary FROM claims c' +
    (where.length ? ` WHERE ${where.join(' AND ')}` : '') +
    ' ORDER BY c.position DESC LIMIT ?';
  const rows: ClaimListRow[] = await ds.query(sql, [...params, limit + 1]);
  const page = rows.slice(0, limit);
  const nextCursor = rows.length > limit ? encodeCursor(page[page.length - 1].position) : null;
  return `{"items":[${page.map(listItemJson).join(',')}],"nextCursor":${JSON.stringify(nextCursor)}}`;
}

/** Claims and pledges per verification status (only the statuses that have any), for the metrics. */
export async function claimCountsByStatus(ds: DataSource): Promise<Array<{ status: string; count: number }>> {
  const rows: Array<{ status: string; count: number | string }> = await ds.query('SELECT status, COUNT(*) AS count FROM claims GROUP BY status');
  // PostgreSQL's COUNT(*) is a bigint, which its driver hands out as text.
  return rows.map((r) => ({ status: r.status, count: Number(r.count) }));
}

interface ClaimListRow {
  id: string;
  position: number;
  status: string;
  version: number;
  recorded_at: string;
  updated_at: string;
  summary: string;
}

/** One list item: {id, …summary, status, version, position, recordedAt, updatedAt}, as JSON text. */
function listItemJson(r: ClaimListRow): string {
  const summary = r.summary;
  // The projector writes the summary with JSON.stringify of an object; anything else is re-serialised.
  const members = summary.length > 2 && summary[0] === '{' && summary[summary.length - 1] === '}' ? summary.slice(1, -1) : JSON.stringify(JSON.parse(summary)).slice(1, -1);
  return (
    `{"id":${JSON.stringify(r.id)},${members}` +
    `,"status":${JSON.stringify(r.status)},"version":${Number(r.version)},"position":${Number(r.position)}` +
    `,"recordedAt":${JSON.stringify(r.recorded_at)},"updatedAt":${JSON.stringify(r.updated_at)}}`
  );
}

function encodeCursor(position: number): string {
  return Buffer.from(JSON.stringify({ p: position })).toString('base64url');
}

function decodeCursor(cursor: string): number {
  try {
    const parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Number.isInteger(parsed?.p) && parsed.p > 0) return parsed.p;
  } catch {
    /* fall through */
  }
  throw RequestValidationError.field('cursor', 'cursor is not one this API handed out');
}
