import { ConcurrencyError } from '../../../../src/domain/errors';
import {
  claimStreamId,
  evidenceStreamId,
  idFromStream,
  type ClaimRecordedData,
  type EventMetadata,
  type EvidenceSubmittedData,
  type NewEvent,
  type StoredEvent,
} from '../../../../src/domain/events';
import { decideClaim, foldClaim } from '../../../../src/domain/claim.decider';
import { revisedFacts } from '../../../../src/domain/evidence.decider';
import { ScopeIndex } from '../../../../src/domain/match-index';
import type { AttachedBy, Scope, Stance } from '../../../../src/domain/types';
import type { EvidenceFact } from '../../../../src/domain/verdict';
import type { AppendRequest, AppendResult } from '../../../../src/ledger/event-store.types';
import type { EvidenceFacts, EventAppender, LedgerStreams, PledgeScopes, Sleep, VerificationPorts } from '../../../../src/verification/ports';

const SEEDED: EventMetadata = { actor: { kind: 'api-key', id: 'k1', name: 'test', role: 'checker' }, correlationId: 'seed', causationId: null };
const ANOTHER_WORKER: EventMetadata = { actor: { kind: 'system', name: 'verification-worker' }, correlationId: 'another-job', causationId: '1' };

/**
 * The log in memory, for the verification handlers' unit tests. Appends behave like the real
 * store's: the stream must be at the expected version and every precondition stream at its
 * version, else a ConcurrencyError and nothing is written. The read-model ports are derived
 * from the log on each call, as the inline projectors keep them in the append's transaction.
 */
export class InMemoryLedger implements LedgerStreams, EventAppender {
  readonly events: StoredEvent[] = [];
  /** Every append asked for, in order, accepted or refused. */
  readonly requests: AppendRequest[] = [];
  /** Appends refused with a ConcurrencyError. */
  refused = 0;
  /**
   * Another writer: runs at the start of each append the handlers ask for (before its checks),
   * with how many appends were asked for before it, so a test can slip in a racing event.
   */
  rival: ((request: AppendRequest, asked: number) => void | Promise<void>) | null = null;

  // -- setting up -------------------------------------------------------------------------

  /** Appends without checks, as another writer (an API request) would have. */
  record(streamId: string, ...events: NewEvent[]): StoredEvent[] {
    return events.map((e) => this.store(streamId, e, SEEDED));
  }

  recordClaim(claimId: string, claim: ClaimRecordedData): void {
    this.record(claimStreamId(claimId), { type: 'ClaimRecorded', data: claim });
  }

  submitEvidence(evidenceId: string, data: EvidenceSubmittedData): void {
    this.record(evidenceStreamId(evidenceId), { type: 'EvidenceSubmitted', data });
  }

  revise(evidenceId: string, revision: import('../../../../src/domain/events').EvidenceRevisedData): void {
    this.record(evidenceStreamId(evidenceId), { type: 'EvidenceRevised', data: revision });
  }

  retract(evidenceId: string, reason = 'wrong town'): void {
    this.record(evidenceStreamId(evidenceId), { type: 'EvidenceRetracted', data: { reason } });
  }

  /**
   * Another verification worker attaching a piece to the claim (decided by the real decider over
   * the claim's stream and the pieces' EvidenceSubmitted data), appended without going through
   * `append`, so it never triggers the rival hook itself.
   */
  attachAsAnotherWorker(claimId: string, evidenceId: string, stance: Stance, attachedBy: AttachedBy = 'checker'): void {
    const stream = claimStreamId(claimId);
    const state = foldClaim(this.events.filter((e) => e.streamId === stream));
    const data = new Map(this.evidenceRows().map((r) => [r.evidenceId, r.data]));
    const facts: Record<string, EvidenceFact> = {};
    for (const id of [...Object.keys(state.attached), evidenceId]) {
      const d = data.get(id)!;
      facts[id] = { evidenceId: id, stance: d.stance ?? 'supports', reliability: d.reliability, credibility: d.credibility, source: d.source };
    }
    const events = decideClaim({ type: 'AttachEvidence', evidenceId, stance, attachedBy, facts }, state);
    for (const e of events) this.store(stream, e, ANOTHER_WORKER);
  }

  // -- LedgerStreams and EventAppender ------------------------------------------------------

  async readStream(streamId: string): Promise<StoredEvent[]> {
    return this.events.filter((e) => e.streamId === streamId);
  }

  async readStreams(streamIds: string[]): Promise<Map<string, StoredEvent[]>> {
    return new Map(streamIds.map((id) => [id, this.events.filter((e) => e.streamId === id)]));
  }

  async append(request: AppendRequest): Promise<AppendResult> {
    this.requests.push(request);
    await this.rival?.(request, this.requests.length - 1);
    const current = this.version(request.streamId);
    if (request.expectedVersion !== 'any' && request.expectedVersion !== current) {
      this.refused++;
      throw new ConcurrencyError(request.streamId, request.expectedVersion, current);
    }
    for (const pre of request.preconditions ?? []) {
      const actual = this.version(pre.streamId);
      const holds = pre.expectedVersion === 'exists' ? actual > 0 : actual === pre.expectedVersion;
      if (!holds) {
        this.refused++;
        throw pre.onMismatch?.(actual) ?? new ConcurrencyError(pre.streamId, pre.expectedVersion === 'exists' ? 1 : pre.expectedVersion, actual);
      }
    }
    const stored = request.events.map((e) => this.store(request.streamId, e, request.metadata));
    const last = stored[stored.length - 1];
    return { streamId: request.streamId, version: last.streamVersion, events: stored, position: last.position };
  }

  // -- reading back -------------------------------------------------------------------------

  version(streamId: string): number {
    return this.events.filter((e) => e.streamId === streamId).length;
  }

  /** The claim's events appended through `append` (the handler under test), as type and data. */
  appendedTo(claimId: string): NewEvent[] {
    return this.events
      .filter((e) => e.streamId === claimStreamId(claimId) && e.metadata !== SEEDED && e.metadata !== ANOTHER_WORKER)
      .map((e) => ({ type: e.type, data: e.data }) as NewEvent);
  }

  /** The claim's stream as event types, whoever appended them. */
  typesOf(claimId: string): string[] {
    return this.events.filter((e) => e.streamId === claimStreamId(claimId)).map((e) => e.type);
  }

  // -- the read models, derived from the log ------------------------------------------------

  readonly scopes: PledgeScopes = {
    all: async () => this.pledgeScopes(),
    of: async (claimId) => this.pledgeScopes().find((p) => p.claimId === claimId)?.scope ?? null,
    // The same index the read model keeps (src/domain/match-index.ts), over the log's scopes.
    candidatesFor: async (report) => {
      const all = this.pledgeScopes();
      return new ScopeIndex(all).candidates(report).map((i) => all[i]);
    },
  };

  readonly evidence: EvidenceFacts = {
    reports: async () =>
      this.evidenceRows()
        .filter((r) => r.data.claimId === null && !r.retracted)
        .map((r) => ({ evidenceId: r.evidenceId, data: r.data })),
    // Every unretracted report is a candidate: the handlers must apply the rule themselves.
    candidateReports: async () =>
      this.evidenceRows()
        .filter((r) => r.data.claimId === null && !r.retracted)
        .map((r) => ({ evidenceId: r.evidenceId, data: r.data })),
    dataOf: async (ids) => {
      const rows = new Map(this.evidenceRows().map((r) => [r.evidenceId, r.data]));
      return new Map(ids.filter((id) => rows.has(id)).map((id) => [id, rows.get(id)!]));
    },
    claimsAttachedTo: async (evidenceId) => {
      const attached = new Map<string, boolean>();
      for (const e of this.events) {
        if (e.type === 'EvidenceAttached' && e.data.evidenceId === evidenceId) attached.set(idFromStream(e.streamId), true);
        if (e.type === 'EvidenceDetached' && e.data.evidenceId === evidenceId) attached.set(idFromStream(e.streamId), false);
      }
      return [...attached].filter(([, now]) => now).map(([claimId]) => claimId);
    },
  };

  /** All four ports on this log. */
  ports(): VerificationPorts {
    return { scopes: this.scopes, evidence: this.evidence, streams: this, appender: this };
  }

  private pledgeScopes(): Array<{ claimId: string; scope: Scope }> {
    const out: Array<{ claimId: string; scope: Scope }> = [];
    for (const e of this.events) {
      if (e.type === 'ClaimRecorded' && e.data.kind === 'pledge' && e.data.scope) out.push({ claimId: idFromStream(e.streamId), scope: e.data.scope });
    }
    return out;
  }

  private evidenceRows(): Array<{ evidenceId: string; data: EvidenceSubmittedData; retracted: boolean }> {
    const rows = new Map<string, { evidenceId: string; data: EvidenceSubmittedData; retracted: boolean }>();
    for (const e of this.events) {
      if (e.type === 'EvidenceSubmitted') rows.set(idFromStream(e.streamId), { evidenceId: idFromStream(e.streamId), data: e.data, retracted: false });
      if (e.type === 'EvidenceRevised') {
        const row = rows.get(idFromStream(e.streamId))!;
        row.data = revisedFacts(row.data, e.data);
      }
      if (e.type === 'EvidenceRetracted') rows.get(idFromStream(e.streamId))!.retracted = true;
    }
    return [...rows.values()];
  }

  private store(streamId: string, event: NewEvent, metadata: EventMetadata): StoredEvent {
    const position = this.events.length + 1;
    const stored = {
      ...event,
      position,
      streamId,
      streamVersion: this.version(streamId) + 1,
      metadata,
      recordedAt: new Date(Date.UTC(2022, 2, 30, 9, 0, position)).toISOString(),
      prevHash: hashAt(position - 1),
      hash: hashAt(position),
    } as StoredEvent;
    this.events.push(stored);
    return stored;
  }
}

const hashAt = (position: number): string => position.toString(16).padStart(64, '0');

/** A sleep that returns at once and remembers what it was asked to wait. */
export function recordingSleep(): Sleep & { waits: number[] } {
  const waits: number[] = [];
  const sleep = (async (ms: number) => {
    waits.push(ms);
  }) as Sleep & { waits: number[] };
  sleep.waits = waits;
  return sleep;
}
