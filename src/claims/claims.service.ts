import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { NotFoundError } from '../domain/errors';
import { RequestValidationError } from '../common/http/request-validation.error';
import { isInTheFuture } from '../domain/clock';
import { EventStore } from '../ledger/event-store';
import { claimStreamId, evidenceStreamId, type ClaimRecordedData, type EventMetadata } from '../domain/events';
import type { AppendResult, IdempotencyRecord, StoredResponse } from '../ledger/event-store.types';
import { LedgerReader } from '../ledger/ledger-reader';
import { decideClaim, foldClaim, initialClaimState } from '../domain/claim.decider';
import { buildClaimView, type ClaimView } from './claim-view';
import type { ClaimCreatedSchema } from './claim-created.schema';
import type { ListClaimsQueryDto } from './claim.dto';
import { listClaimsJson } from '../projections/claims-list/queries';

/** The answer to POST /api/claims. */
export type RecordClaimAnswer = ClaimCreatedSchema;

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
    // As observedAt on evidence: a speaker's clock may run a little ahead of ours, no more.
    if (isInTheFuture(claim.madeAt, Date.now())) {
      throw RequestValidationError.field('madeAt', 'madeAt must not be more than 5 minutes in the future');
    }
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
    return buildClaimView(claimId, claimEvents, byEvidence, state)!;
  }

  async events(claimId: string) {
    const events = await this.reader.readStream(claimStreamId(claimId));
    if (events.length === 0) throw new NotFoundError(`no claim with id ${claimId}`, 'id');
    return events;
  }

  /** The list page as JSON text (see listClaimsJson: newest first, keyset-paginated). */
  listJson(q: ListClaimsQueryDto): Promise<string> {
    return listClaimsJson(this.ds, q);
  }
}
