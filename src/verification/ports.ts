import type { EvidenceSubmittedData, StoredEvent } from '../domain/events';
import type { Scope } from '../domain/types';
import type { ReportFacts } from '../domain/matching';
import type { AppendRequest, AppendResult } from '../ledger/event-store.types';

/**
 * What the verification handlers read and write, as small ports: production adapters read the
 * read models and the log (production-ports.ts), unit tests pass in-memory ones.
 */

/** The pledges that carry a scope (the pledge_scopes read model). */
export interface PledgeScopes {
  /** Every scoped pledge, in log order. */
  all(): Promise<Array<{ claimId: string; scope: Scope }>>;
  /** The pledge's scope; null when the claim has none (or is not in the read model). */
  of(claimId: string): Promise<Scope | null>;
  /**
   * The pledges the report can match, from the index over place keys and windows (a superset of
   * the matches, never missing one), in log order: the matcher applies the rule to these only.
   */
  candidatesFor(report: ReportFacts): Promise<Array<{ claimId: string; scope: Scope }>>;
}

/** Facts about evidence, from the evidence read model (derived from EvidenceSubmitted). */
export interface EvidenceFacts {
  /** Reports (evidence without a claim) that are not retracted, in log order. */
  reports(): Promise<Array<{ evidenceId: string; data: EvidenceSubmittedData }>>;
  /**
   * The unretracted reports the scope can match, from the index over place keys and times (a
   * superset of the matches), in log order, with their current facts.
   */
  candidateReports(scope: Scope): Promise<Array<{ evidenceId: string; data: EvidenceSubmittedData }>>;
  /** The pieces' current data (EvidenceSubmitted, as revised), by id; ids not found are absent. */
  dataOf(evidenceIds: string[]): Promise<Map<string, EvidenceSubmittedData>>;
  /** The claims the piece is attached to now (not detached). */
  claimsAttachedTo(evidenceId: string): Promise<string[]>;
}

/** The log, stream by stream (committed events, oldest first). */
export interface LedgerStreams {
  readStream(streamId: string): Promise<StoredEvent[]>;
  /** Several streams in one read (one snapshot); every id asked for is in the map. */
  readStreams(streamIds: string[]): Promise<Map<string, StoredEvent[]>>;
}

/**
 * Appends to the log with expected versions and preconditions; throws a ConcurrencyError
 * (src/domain/errors.ts) when a stream has moved on, and writes nothing then.
 */
export interface EventAppender {
  append(request: AppendRequest): Promise<AppendResult>;
}

/** Waits `ms` milliseconds (injectable so unit tests do not wait). */
export type Sleep = (ms: number) => Promise<void>;

export const realSleep: Sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Every port the handlers use; each handler takes only the ones it needs. */
export interface VerificationPorts {
  scopes: PledgeScopes;
  evidence: EvidenceFacts;
  streams: LedgerStreams;
  appender: EventAppender;
}
