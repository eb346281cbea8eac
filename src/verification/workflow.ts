import { decideClaim, evolveClaim, foldClaim, type ClaimCommand } from '../domain/claim.decider';
import { ConcurrencyError } from '../domain/errors';
import { foldEvidence } from '../domain/evidence.decider';
import {
  claimStreamId,
  evidenceStreamId,
  type EventMetadata,
  type EvidenceSubmittedData,
  type MatchRule,
  type NewEvent,
  type StoredEvent,
} from '../domain/events';
import { matchingRuleFor, type ReportFacts, type ScopeMatch } from '../domain/matching';
import type { AttachedBy, Stance } from '../domain/types';
import type { EvidenceFact } from '../domain/verdict';
import type { JobData, JobHandler, JobOutcome } from './job-kinds';
import { realSleep, type Sleep, type VerificationPorts } from './ports';

/** How often a handler reads again and decides again after losing a race, before giving up. */
export const MAX_CONFLICT_RETRIES = 20;

export interface WorkflowOptions {
  /** Test and demo hook: a pause before each append, to widen the window for crash tests. */
  pauseBeforeAppendMs?: number;
  /** The pause before a retry and before an append; tests pass one that does not wait. */
  sleep?: Sleep;
}

/** The piece as its own stream tells it: its EvidenceSubmitted data, retracted or not, and the stream's version. */
export interface EvidenceOnLog {
  data: EvidenceSubmittedData;
  retracted: boolean;
  version: number;
}

export type WorkflowPorts = Pick<VerificationPorts, 'streams' | 'evidence' | 'appender'>;

/**
 * What every verification handler shares: each reads the log, lets the pure deciders and
 * verification rules decide, and appends with expected versions, so a job that runs twice, or
 * races another worker, appends its events at most once.
 */
export class VerificationWorkflow {
  private readonly pauseBeforeAppendMs: number;
  private readonly sleep: Sleep;

  constructor(
    private readonly ports: WorkflowPorts,
    options: WorkflowOptions = {},
  ) {
    this.pauseBeforeAppendMs = options.pauseBeforeAppendMs ?? 0;
    this.sleep = options.sleep ?? realSleep;
  }

  /**
   * Attaches one piece to one claim and recomputes the status in the same append. The evidence
   * stream's version is a precondition: if it was retracted meanwhile, the append fails, the
   * retry sees the retraction, and nothing is attached. The caller has checked that the piece is
   * not retracted at `evidenceVersion`.
   */
  attach(
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
        // Retracted, or revised since the caller matched it: the job planned for that event
        // (detach, or re-match on the new facts) decides instead; attaching on old facts would be wrong.
        if (fresh.retracted || fresh.version !== evidenceVersion) return 0;
        version = fresh.version;
        piece = fresh.data;
      }
      const events = attempt === 0 && known ? known.claimEvents : await this.ports.streams.readStream(claimStreamId(claimId));
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

  /**
   * Attaches several pieces to one claim in one append (a new pledge's matches): the claim's
   * stream is read and folded once, each piece decided in turn with the decider (so a status
   * change is recorded wherever the status moves, as one attach at a time would), every piece's
   * stream version a precondition. If the append loses a race (a piece revised or retracted, the
   * claim moved), each piece is attached on its own instead, as `attach` does. Returns the events appended.
   */
  async attachMany(
    data: JobData,
    claimId: string,
    pieces: Array<{ evidenceId: string; version: number; evidence: EvidenceSubmittedData; stance: Stance; rule?: MatchRule }>,
  ): Promise<number> {
    if (pieces.length === 0) return 0;
    try {
      const events = await this.ports.streams.readStream(claimStreamId(claimId));
      let state = foldClaim(events);
      if (!state.exists) throw new Error(`claim ${claimId} does not exist`);
      const todo = pieces.filter((p) => !state.seen[p.evidenceId]);
      if (todo.length === 0) return 0;
      const known: Record<string, EvidenceSubmittedData> = {};
      for (const p of todo) known[p.evidenceId] = p.evidence;
      const facts = await this.facts([...Object.keys(state.attached), ...todo.map((p) => p.evidenceId)], known);
      const decided: NewEvent[] = [];
      for (const p of todo) {
        const command: ClaimCommand = { type: 'AttachEvidence', evidenceId: p.evidenceId, stance: p.stance, attachedBy: 'matcher', rule: p.rule, facts };
        const out = decideClaim(command, state);
        for (const e of out) state = evolveClaim(state, e);
        decided.push(...out);
      }
      return await this.appendDecided(
        claimId,
        events.length,
        decided,
        data,
        todo.map((p) => ({ streamId: evidenceStreamId(p.evidenceId), expectedVersion: p.version })),
      );
    } catch (err) {
      if (!(err instanceof ConcurrencyError)) throw err;
      let appended = 0;
      for (const p of pieces) appended += await this.attach({ ...data, evidenceId: p.evidenceId }, claimId, p.version, p.stance, 'matcher', p.rule);
      return appended;
    }
  }

  /**
   * Detaches one piece from one claim because its new revision no longer matches (reason
   * `revised`), recomputing the status in the same append. Held to the evidence stream's version:
   * if the piece is revised or retracted again meanwhile, nothing is detached here (the job
   * planned for that event decides on the newer facts).
   */
  detachRevised(data: JobData, claimId: string, evidenceVersion: number): Promise<number> {
    const evidenceId = data.evidenceId!;
    return this.withRetries(async (attempt) => {
      if (attempt > 0) {
        const fresh = await this.loadEvidence(evidenceId);
        if (fresh.retracted || fresh.version !== evidenceVersion) return 0;
      }
      const events = await this.ports.streams.readStream(claimStreamId(claimId));
      const state = foldClaim(events);
      if (!state.attached[evidenceId]) return 0;
      const remaining = Object.keys(state.attached).filter((id) => id !== evidenceId);
      const command: ClaimCommand = { type: 'DetachEvidence', evidenceId, reason: 'revised', facts: await this.facts(remaining) };
      return this.appendDecided(claimId, events.length, decideClaim(command, state), data, [
        { streamId: evidenceStreamId(evidenceId), expectedVersion: evidenceVersion },
      ]);
    });
  }

  /** Appends what a decider decided to the claim's stream, as the verification worker; returns how many events. */
  async appendDecided(
    claimId: string,
    expectedVersion: number,
    events: NewEvent[],
    data: JobData,
    preconditions: Array<{ streamId: string; expectedVersion: number }> = [],
  ): Promise<number> {
    if (events.length === 0) return 0;
    if (this.pauseBeforeAppendMs > 0) await this.sleep(this.pauseBeforeAppendMs);
    const metadata: EventMetadata = {
      actor: { kind: 'system', name: 'verification-worker' },
      correlationId: data.correlationId,
      causationId: String(data.position),
    };
    await this.ports.appender.append({ streamId: claimStreamId(claimId), expectedVersion, events, metadata, preconditions });
    return events.length;
  }

  async withRetries(work: (attempt: number) => Promise<number>): Promise<number> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await work(attempt);
      } catch (err) {
        if (!(err instanceof ConcurrencyError) || attempt >= MAX_CONFLICT_RETRIES) throw err;
        // Lost a race with another writer of the same stream: read again and decide again.
        await this.sleep(Math.min(200, 5 * 2 ** attempt) * Math.random());
      }
    }
  }

  async loadEvidence(evidenceId: string): Promise<EvidenceOnLog> {
    return evidenceFrom(evidenceId, await this.ports.streams.readStream(evidenceStreamId(evidenceId)));
  }

  /**
   * The facts verdict-v1 weighs, from the evidence read model (derived from EvidenceSubmitted);
   * `known`: pieces whose EvidenceSubmitted data the caller has read already (the same facts).
   */
  async facts(evidenceIds: string[], known: Record<string, EvidenceSubmittedData> = {}): Promise<Record<string, EvidenceFact>> {
    const out: Record<string, EvidenceFact> = {};
    const missing: string[] = [];
    for (const id of evidenceIds) {
      if (known[id]) out[id] = factOf(id, known[id]);
      else missing.push(id);
    }
    if (missing.length > 0) {
      for (const [id, data] of await this.ports.evidence.dataOf(missing)) out[id] = factOf(id, data);
    }
    return out;
  }
}

export function evidenceFrom(evidenceId: string, events: StoredEvent[]): EvidenceOnLog {
  const state = foldEvidence(events);
  if (!state.exists || !state.evidence) throw new Error(`evidence ${evidenceId} is not in the ledger`);
  return { data: state.evidence, retracted: state.retracted, version: events.length };
}

/**
 * The rule the matcher records on EvidenceAttached: which scope place and indicator matched, and
 * under which rule (`matching-v2` only for a report that says how uncertain it is).
 */
export function matchRuleOf(m: ScopeMatch, report: ReportFacts): MatchRule {
  return { name: matchingRuleFor(report), place: m.place, indicator: m.indicator, by: m.by, ...(m.distanceKm !== undefined ? { distanceKm: m.distanceKm } : {}) };
}

function factOf(evidenceId: string, d: EvidenceSubmittedData): EvidenceFact {
  return { evidenceId, stance: d.stance ?? 'supports', reliability: d.reliability, credibility: d.credibility, source: d.source };
}

/** A handler of one job kind: the ports it reads and the shared workflow over them. */
export abstract class WorkflowHandler<P extends WorkflowPorts> implements JobHandler {
  protected readonly workflow: VerificationWorkflow;

  constructor(
    protected readonly ports: P,
    options: WorkflowOptions = {},
  ) {
    this.workflow = new VerificationWorkflow(ports, options);
  }

  abstract handle(data: JobData): Promise<JobOutcome>;
}
