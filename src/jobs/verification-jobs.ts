import { Logger } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import type { AttachedBy, Scope, Stance } from '../domain/types';
import { ConcurrencyError } from '../domain/errors';
import { decideClaim, foldClaim, type ClaimCommand } from '../domain/claim.decider';
import { foldEvidence } from '../domain/evidence.decider';
import type { EventStore } from '../ledger/event-store';
import {
  claimStreamId,
  evidenceStreamId,
  type EventMetadata,
  type EvidenceSubmittedData,
  type MatchRule,
  type StoredEvent,
} from '../domain/events';
import type { LedgerReader } from '../ledger/ledger-reader';
import { matchReportToScope, stanceForExpectation } from '../domain/matching';
import type { EvidenceFact } from '../domain/verdict';
import { QueueNames, type JobData, type QueueName } from './job-plan';

export interface JobOutcome {
  /** Events this run appended (0 when the work was already done: redelivery is harmless). */
  appended: number;
  detail: string;
}

const MAX_CONFLICT_RETRIES = 20;

/**
 * The verification work behind every queue. Each handler reads the log, lets the pure
 * deciders and verification rules decide, and appends with expected versions, so a job that
 * runs twice, or races another worker, appends its events at most once.
 */
export class VerificationJobs {
  private readonly logger = new Logger('VerificationJobs');

  constructor(
    private readonly store: EventStore,
    private readonly reader: LedgerReader,
    private readonly ds: DataSource,
    /** Test and demo hook: a pause before each append, to widen the window for crash tests. */
    private readonly pauseBeforeAppendMs = 0,
  ) {}

  run(queue: QueueName, data: JobData): Promise<JobOutcome> {
    switch (queue) {
      case QueueNames.attach:
        return this.attachChecked(data);
      case QueueNames.matchReport:
        return this.matchReport(data);
      case QueueNames.matchPledge:
        return this.matchPledge(data);
      case QueueNames.detach:
        return this.detachEverywhere(data);
    }
  }

  /**
   * Evidence a checker sent for one claim, with their stance. Both streams are read in one query
   * (one snapshot); the piece's own facts come from its EvidenceSubmitted, as its read-model row does.
   */
  private async attachChecked(data: JobData): Promise<JobOutcome> {
    const evidenceStream = evidenceStreamId(data.evidenceId!);
    const claimStream = claimStreamId(data.claimId!);
    const streams = await this.reader.readStreams([evidenceStream, claimStream]);
    const evidence = this.evidenceFrom(data.evidenceId!, streams.get(evidenceStream)!);
    if (!evidence.data.stance) throw new Error(`evidence ${data.evidenceId} has no stance`);
    const appended = await this.attach(data, data.claimId!, evidence.version, evidence.data.stance, 'checker', undefined, {
      claimEvents: streams.get(claimStream)!,
      evidence: evidence.data,
    });
    return { appended, detail: appended ? 'attached' : 'already attached or retracted' };
  }

  /** A field report: attach it to every pledge whose scope it matches. */
  private async matchReport(data: JobData): Promise<JobOutcome> {
    const evidence = await this.loadEvidence(data.evidenceId!);
    if (evidence.retracted) return { appended: 0, detail: 'retracted' };
    const pledges: Array<{ claim_id: string; scope: string }> = await this.ds.query(
      'SELECT claim_id, scope FROM pledge_scopes ORDER BY position',
    );
    let appended = 0;
    let matched = 0;
    for (const p of pledges) {
      const scope = JSON.parse(p.scope) as Scope;
      const m = matchReportToScope(scope, evidence.data);
      if (!m) continue;
      matched++;
      const rule: MatchRule = { name: 'scope-match-v1', place: m.place, indicator: m.indicator, by: m.by, ...(m.distanceKm !== undefined ? { distanceKm: m.distanceKm } : {}) };
      appended += await this.attach(data, p.claim_id, evidence.version, stanceForExpectation(scope.expectation), 'matcher', rule);
    }
    return { appended, detail: `matched ${matched} of ${pledges.length} pledges` };
  }

  /** A new pledge: attach the reports already in the ledger that its scope matches. */
  private async matchPledge(data: JobData): Promise<JobOutcome> {
    const rows: Array<{ scope: string }> = await this.ds.query('SELECT scope FROM pledge_scopes WHERE claim_id = ?', [data.claimId]);
    if (!rows[0]) return { appended: 0, detail: 'no scope' };
    const scope = JSON.parse(rows[0].scope) as Scope;
    const reports: Array<{ id: string; data: string }> = await this.ds.query(
      'SELECT id, data FROM evidence WHERE is_report = 1 AND retracted_at IS NULL ORDER BY position',
    );
    let appended = 0;
    let matched = 0;
    for (const r of reports) {
      const m = matchReportToScope(scope, JSON.parse(r.data) as EvidenceSubmittedData);
      if (!m) continue;
      matched++;
      const evidence = await this.loadEvidence(r.id);
      if (evidence.retracted) continue;
      const rule: MatchRule = { name: 'scope-match-v1', place: m.place, indicator: m.indicator, by: m.by, ...(m.distanceKm !== undefined ? { distanceKm: m.distanceKm } : {}) };
      appended += await this.attach({ ...data, evidenceId: r.id }, data.claimId!, evidence.version, stanceForExpectation(scope.expectation), 'matcher', rule);
    }
    return { appended, detail: `matched ${matched} of ${reports.length} reports` };
  }

  /** A retraction: detach the piece from every claim it is attached to, recomputing each status. */
  private async detachEverywhere(data: JobData): Promise<JobOutcome> {
    const claims: Array<{ claim_id: string }> = await this.ds.query(
      'SELECT claim_id FROM attachments WHERE evidence_id = ? AND detached_position IS NULL',
      [data.evidenceId],
    );
    let appended = 0;
    for (const { claim_id } of claims) {
      appended += await this.withRetries(async () => {
        const events = await this.reader.readStream(claimStreamId(claim_id));
        const state = foldClaim(events);
        if (!state.attached[data.evidenceId!]) return 0;
        const remaining = Object.keys(state.attached).filter((id) => id !== data.evidenceId);
        const command: ClaimCommand = { type: 'DetachEvidence', evidenceId: data.evidenceId!, reason: 'retracted', facts: await this.facts(remaining) };
        return this.appendDecided(claim_id, events.length, decideClaim(command, state), data);
      });
    }
    return { appended, detail: `detached from ${claims.length} claim(s)` };
  }

  /**
   * Attaches one piece to one claim and recomputes the status in the same append. The evidence
   * stream's version is a precondition: if it was retracted meanwhile, the append fails, the
   * retry sees the retraction, and nothing is attached.
   */
  private attach(
    data: JobData,
    claimId: string,
    evidenceVersion: number,
    stance: Stance,
    attachedBy: AttachedBy,
    rule?: MatchRule,
    /** Read already, with the evidence stream: the claim's events for the first attempt, and the piece's data. */
    known?: { claimEvents: StoredEvent[]; evidence: EvidenceSubmittedData },
  ): Promise<number> {
    const evidenceId = data.evidenceId!;
    return this.withRetries(async (attempt) => {
      let version = evidenceVersion;
      let piece = known?.evidence;
      if (attempt > 0) {
        const fresh = await this.loadEvidence(evidenceId);
        if (fresh.retracted) return 0;
        version = fresh.version;
        piece = fresh.data;
      } else if (version > 1) {
        return 0; // retracted already (the stream has moved past EvidenceSubmitted)
      }
      const events = attempt === 0 && known ? known.claimEvents : await this.reader.readStream(claimStreamId(claimId));
      const state = foldClaim(events);
      if (!state.exists) throw new Error(`claim ${claimId} does not exist`);
      if (state.seen[evidenceId]) return 0;
      const ids = [...Object.keys(state.attached), evidenceId];
      const facts = await this.facts(ids, piece ? { [evidenceId]: piece } : {});
      const command: ClaimCommand = { type: 'AttachEvidence', evidenceId, stance, attachedBy, rule, facts };
      return this.appendDecided(claimId, events.length, decideClaim(command, state), data, [
        { streamId: evidenceStreamId(evidenceId), expectedVersion: version },
      ]);
    });
  }

  private async appendDecided(
    claimId: string,
    expectedVersion: number,
    events: ReturnType<typeof decideClaim>,
    data: JobData,
    preconditions: Array<{ streamId: string; expectedVersion: number }> = [],
  ): Promise<number> {
    if (events.length === 0) return 0;
    if (this.pauseBeforeAppendMs > 0) await new Promise((r) => setTimeout(r, this.pauseBeforeAppendMs));
    const metadata: EventMetadata = {
      actor: { kind: 'system', name: 'verification-worker' },
      correlationId: data.correlationId,
      causationId: String(data.position),
    };
    await this.store.append({ streamId: claimStreamId(claimId), expectedVersion, events, metadata, preconditions });
    return events.length;
  }

  private async withRetries(work: (attempt: number) => Promise<number>): Promise<number> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await work(attempt);
      } catch (err) {
        if (!(err instanceof ConcurrencyError) || attempt >= MAX_CONFLICT_RETRIES) throw err;
        // Lost a race with another writer of the same stream: read again and decide again.
        await new Promise((r) => setTimeout(r, Math.min(200, 5 * 2 ** attempt) * Math.random()));
      }
    }
  }

  private async loadEvidence(evidenceId: string): Promise<{ data: EvidenceSubmittedData; retracted: boolean; version: number }> {
    return this.evidenceFrom(evidenceId, await this.reader.readStream(evidenceStreamId(evidenceId)));
  }

  private evidenceFrom(evidenceId: string, events: StoredEvent[]): { data: EvidenceSubmittedData; retracted: boolean; version: number } {
    const state = foldEvidence(events);
    if (!state.exists || !state.evidence) throw new Error(`evidence ${evidenceId} is not in the ledger`);
    return { data: state.evidence, retracted: state.retracted, version: events.length };
  }

  /**
   * The facts verdict-v1 weighs, from the evidence read model (derived from EvidenceSubmitted);
   * `known`: pieces whose EvidenceSubmitted data the caller has read already (the same facts).
   */
  private async facts(evidenceIds: string[], known: Record<string, EvidenceSubmittedData> = {}): Promise<Record<string, EvidenceFact>> {
    const out: Record<string, EvidenceFact> = {};
    const missing: string[] = [];
    for (const id of evidenceIds) {
      if (known[id]) out[id] = factOf(id, known[id]);
      else missing.push(id);
    }
    for (let i = 0; i < missing.length; i += 500) {
      const ids = missing.slice(i, i + 500);
      const rows: Array<{ id: string; data: string }> = await this.ds.query(
        `SELECT id, data FROM evidence WHERE id IN (${ids.map(() => '?').join(',')})`,
        ids,
      );
      for (const row of rows) out[row.id] = factOf(row.id, JSON.parse(row.data) as EvidenceSubmittedData);
    }
    return out;
  }
}

function factOf(evidenceId: string, d: EvidenceSubmittedData): EvidenceFact {
  return { evidenceId, stance: d.stance ?? 'supports', reliability: d.reliability, credibility: d.credibility, source: d.source };
}
