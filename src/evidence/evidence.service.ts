import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { isInTheFuture } from '../domain/clock';
import { DataSource } from 'typeorm';
import { defined } from '../common/http/dto';
import { ConcurrencyError, NotFoundError } from '../domain/errors';
import { RequestValidationError } from '../common/http/request-validation.error';
import { EventStore } from '../ledger/event-store';
import { claimStreamId, evidenceStreamId, type EventMetadata, type EvidenceSubmittedData, type StoredEventOf } from '../domain/events';
import type { AppendGuard, AppendResult, IdempotencyRecord, StoredResponse, StreamPrecondition } from '../ledger/event-store.types';
import { LedgerReader } from '../ledger/ledger-reader';
import { decideEvidence, foldEvidence, initialEvidenceState } from '../domain/evidence.decider';
import type { EvidenceDto, ReportDto } from './evidence.dto';
import type { EvidenceAcceptedSchema } from './evidence-accepted.schema';
import type { EvidenceViewSchema } from './evidence-view.schema';
import { attachmentsOfEvidence, evidenceSubmittedForClaimAfter } from '../projections/evidence/queries';


/** The answer to every evidence write. */
export type EvidenceAccepted = EvidenceAcceptedSchema;

type IdempotencyFactory = (respond: (r: AppendResult) => StoredResponse) => IdempotencyRecord | undefined;

@Injectable()
export class EvidenceService {
  constructor(
    private readonly store: EventStore,
    private readonly reader: LedgerReader,
    private readonly ds: DataSource,
  ) {}

  /**
   * Evidence for one claim. `ifMatch` is the claim version the checker looked at: checked in the
   * append's transaction, so a claim that moved on in between gets 412 and nothing is written.
   */
  async submitForClaim(claimId: string, dto: EvidenceDto, ifMatch: number | null, metadata: EventMetadata, idem?: IdempotencyFactory) {
    // Checked in the append's transaction (no read before it): the claim must exist (404) and,
    // with If-Match, still be at that version (412). Claims are never deleted.
    const streamId = claimStreamId(claimId);
    const precondition: StreamPrecondition = {
      streamId,
      expectedVersion: ifMatch ?? 'exists',
      onMismatch: (actual) => (actual === 0 ? new NotFoundError(`no claim with id ${claimId}`, 'id') : new ConcurrencyError(streamId, ifMatch!, actual)),
    };
    return this.submit(toEvidenceData(dto, claimId), metadata, idem, [precondition], ifMatch === null ? undefined : noEvidenceSince(claimId, ifMatch));
  }

  submitReport(dto: ReportDto, metadata: EventMetadata, idem?: IdempotencyFactory) {
    return this.submit(toEvidenceData(dto, null), metadata, idem, []);
  }

  private async submit(
    data: EvidenceSubmittedData,
    metadata: EventMetadata,
    idem: IdempotencyFactory | undefined,
    preconditions: StreamPrecondition[],
    guard?: AppendGuard,
  ): Promise<EvidenceAccepted> {
    if (isInTheFuture(data.observedAt, Date.now())) {
      throw RequestValidationError.field('observedAt', 'observedAt must not be more than 5 minutes in the future');
    }
    const evidenceId = randomUUID();
    const events = decideEvidence({ type: 'SubmitEvidence', evidence: data }, initialEvidenceState);
    const answerOf = (r: AppendResult): EvidenceAccepted => ({ evidenceId, position: r.position });
    const result = await this.store.append({
      streamId: evidenceStreamId(evidenceId),
      expectedVersion: 0,
      events,
      metadata,
      preconditions,
      guard,
      idempotency: idem?.((r) => ({ status: 202, body: answerOf(r), headers: { location: `/api/evidence/${evidenceId}` } })),
    });
    return answerOf(result);
  }

  async retract(evidenceId: string, reason: string, metadata: EventMetadata, idem?: IdempotencyFactory): Promise<EvidenceAccepted> {
    const streamId = evidenceStreamId(evidenceId);
    const events = await this.reader.readStream(streamId);
    const state = foldEvidence(events);
    if (!state.exists) throw new NotFoundError(`no evidence with id ${evidenceId}`, 'id');
    const newEvents = decideEvidence({ type: 'RetractEvidence', reason }, state);
    const answerOf = (r: AppendResult): EvidenceAccepted => ({ evidenceId, position: r.position });
    const result = await this.store.append({
      streamId,
      expectedVersion: events.length,
      events: newEvents,
      metadata,
      idempotency: idem?.((r) => ({ status: 202, body: answerOf(r), headers: {} })),
    });
    return answerOf(result);
  }

  async view(evidenceId: string): Promise<EvidenceViewSchema> {
    const events = await this.reader.readStream(evidenceStreamId(evidenceId));
    const state = foldEvidence(events);
    if (!state.exists || !state.evidence) throw new NotFoundError(`no evidence with id ${evidenceId}`, 'id');
    const attachments = await attachmentsOfEvidence(this.ds, evidenceId);
    const first = events[0];
    const retractedEvent = events.find((e): e is StoredEventOf<'EvidenceRetracted'> => e.type === 'EvidenceRetracted');
    const { claimId, ...evidence } = state.evidence;
    return {
      id: evidenceId,
      kind: claimId ? 'evidence' : 'report',
      claimId,
      ...evidence,
      recordedAt: first.recordedAt,
      position: first.position,
      retracted: state.retracted,
      retraction: retractedEvent
        ? { reason: retractedEvent.data.reason, at: retractedEvent.recordedAt, position: retractedEvent.position }
        : null,
      attachedTo: attachments.map((a) => ({
        claimId: a.claim_id,
        stance: a.stance,
        attachedBy: a.attached_by,
        attachedAt: a.attached_at,
        attachedPosition: a.attached_position,
        attached: a.detached_position === null,
        detachedPosition: a.detached_position,
      })),
      version: events.length,
      revisions: state.revisions,
      revisedAt: state.revisedAt,
    };
  }
}

export function toEvidenceData(dto: ReportDto & { stance?: EvidenceDto['stance'] }, claimId: string | null): EvidenceSubmittedData {
  dto.places?.forEach((p, i) => {
    if ((p.lat === undefined) !== (p.lon === undefined)) {
      throw RequestValidationError.field(`places[${i}]`, 'give both lat and lon, or neither');
    }
    if (p.precisionKm !== undefined && p.lat === undefined) {
      throw RequestValidationError.field(`places[${i}].precisionKm`, 'precisionKm needs lat and lon (it is a distance around them)');
    }
  });
  if (dto.observedUntil !== undefined && !(Date.parse(dto.observedUntil) > Date.parse(dto.observedAt))) {
    throw RequestValidationError.field('observedUntil', 'observedUntil must be later than observedAt');
  }
  return defined({
    claimId,
    stance: dto.stance,
    summary: dto.summary,
    source: defined({ url: dto.source.url, publisher: dto.source.publisher, publishedAt: dto.source.publishedAt }),
    observedAt: dto.observedAt,
    observedUntil: dto.observedUntil,
    reliability: dto.reliability,
    credibility: dto.credibility,
    places: dto.places?.map((p) => defined({ name: p.name, lat: p.lat, lon: p.lon, precisionKm: p.precisionKm })),
    indicators: dto.indicators ? [...dto.indicators] : undefined,
  });
}

/**
 * If-Match on evidence for a claim: a submission is a write to the claim, although the claim's
 * stream (and so its ETag) only moves once the job attaches it. So "the claim is still at the
 * version I looked at" also needs "no evidence was submitted for it since it reached that
 * version": of many writers holding the same ETag exactly one gets in, whatever the job's timing.
 * Checked in the append's transaction; the evidence read model already holds the batch's earlier
 * submissions.
 */
function noEvidenceSince(claimId: string, version: number): AppendGuard {
  return async (tx, ctx) => {
    const since = await ctx.lastPosition(claimStreamId(claimId));
    const later = await evidenceSubmittedForClaimAfter(tx, claimId, since);
    if (later) {
      const err = new ConcurrencyError(claimStreamId(claimId), version, version);
      err.message = `claim ${claimId} has had evidence submitted (position ${later.position}) since version ${version}; read it again once it is attached`;
      throw err;
    }
  };
}
