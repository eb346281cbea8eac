import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { NotFoundError } from '../domain/errors';
import { RequestValidationError } from '../common/request-validation.error';
import { EventStore } from '../ledger/event-store';
import { claimStreamId, evidenceStreamId, type ClaimRecordedData, type EventMetadata } from '../domain/events';
import type { AppendResult, IdempotencyRecord, StoredResponse } from '../ledger/event-store.types';
import { LedgerReader } from '../ledger/ledger-reader';
import { decideClaim, foldClaim, initialClaimState } from '../domain/claim.decider';
import { buildClaimView, type ClaimView } from './claim-view';
import type { ListClaimsQueryDto } from './claim.dto';
import { normalizeText } from '../projections/claims.projector';

export interface RecordClaimAnswer {
  id: string;
  kind: string;
  version: number;
  status: 'unverified';
  position: number;
}

@Injectable()
export class ClaimsService {
  constructor(
    private readonly store: EventStore,
    private readonly reader: LedgerReader,
    private readonly ds: DataSource,
  ) {}

  async record(
    claim: ClaimRecordedData,
    metadata: EventMetadata,
    idempotency?: (respond: (r: AppendResult) => StoredResponse) => IdempotencyRecord | undefined,
  ): Promise<{ answer: RecordClaimAnswer; location: string }> {
    const id = randomUUID();
    const events = decideClaim({ type: 'RecordClaim', claim }, initialClaimState);
    const location = `/api/claims/${id}`;
    const answerOf = (r: AppendResult): RecordClaimAnswer => ({ id, kind: claim.kind, version: r.version, status: 'unverified', position: r.position });
    const result = await this.store.append({
      streamId: claimStreamId(id),
      expectedVersion: 0,
      events,
      metadata,
      idempotency: idempotency?.((r) => ({ status: 201, body: answerOf(r), headers: { location } })),
    });
    return { answer: answerOf(result), location };
  }

  async exists(claimId: string): Promise<number> {
    const version = await this.reader.streamVersion(claimStreamId(claimId));
    if (version === 0) throw new NotFoundError(`no claim with id ${claimId}`, 'id');
    return version;
  }

  /** The claim as the ledger knows it now, or as it knew it at `asOf` (recorded time). */
  async view(claimId: string, asOf?: string): Promise<ClaimView> {
    const cut = asOf ? new Date(asOf).toISOString() : undefined;
    const claimEvents = await this.reader.readStream(claimStreamId(claimId), { recordedAtOrBefore: cut });
    const state = foldClaim(claimEvents);
    if (!state.exists) {
      throw new NotFoundError(asOf ? `claim ${claimId} was not recorded yet at ${asOf}` : `no claim with id ${claimId}`, 'id');
    }
    const evidenceIds = Object.keys(state.seen);
    const streams = await this.reader.readStreams(evidenceIds.map(evidenceStreamId), { recordedAtOrBefore: cut });
    const byEvidence = new Map<string, typeof claimEvents>();
    for (const id of evidenceIds) byEvidence.set(id, streams.get(evidenceStreamId(id)) ?? []);
    return buildClaimView(claimId, claimEvents, byEvidence)!;
  }

  async events(claimId: string) {
    const events = await this.reader.readStream(claimStreamId(claimId));
    if (events.length === 0) throw new NotFoundError(`no claim with id ${claimId}`, 'id');
    return events;
  }

  /**
   * Newest first, keyset-paginated on the log position, so concurrent writes never shift a page.
   * The page as JSON text, built without parsing the rows: each row's summary is stored as
   * JSON text (kind, statement, speaker, madeAt, source, topics) and spliced in between the id
   * and the row's own columns. Parsing 50 summaries and serialising them again was a third of
   * this route's CPU.
   */
  async listJson(q: ListClaimsQueryDto): Promise<string> {
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
    const rows: ClaimListRow[] = await this.ds.query(sql, [...params, limit + 1]);
    const page = rows.slice(0, limit);
    const nextCursor = rows.length > limit ? encodeCursor(page[page.length - 1].position) : null;
    return `{"items":[${page.map(listItemJson).join(',')}],"nextCursor":${JSON.stringify(nextCursor)}}`;
  }
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
