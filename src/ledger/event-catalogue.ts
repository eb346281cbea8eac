import type {
  AttachedBy,
  ClaimKind,
  Credibility,
  EvidencePlace,
  Reliability,
  Scope,
  SourceRef,
  Speaker,
  Stance,
  VerificationStatus,
} from '../common/domain.types';

/**
 * The event catalogue: every event type the ledger can hold, as string literals.
 * Types are part of the public contract (docs/events.md); never rename one, add a new type.
 */
export const EventTypes = {
  ClaimRecorded: 'ClaimRecorded',
  EvidenceSubmitted: 'EvidenceSubmitted',
  EvidenceRetracted: 'EvidenceRetracted',
  EvidenceAttached: 'EvidenceAttached',
  EvidenceDetached: 'EvidenceDetached',
  VerificationStatusChanged: 'VerificationStatusChanged',
} as const;
export type EventType = (typeof EventTypes)[keyof typeof EventTypes];
export const EVENT_TYPES: readonly EventType[] = Object.values(EventTypes);

export interface ClaimRecordedData {
  kind: ClaimKind;
  statement: string;
  speaker: Speaker;
  madeAt: string;
  source: SourceRef;
  topics: string[];
  scope: Scope | null;
}

export interface EvidenceSubmittedData {
  claimId: string | null;
  stance?: Stance;
  summary: string;
  source: SourceRef;
  observedAt: string;
  reliability: Reliability;
  credibility: Credibility;
  places?: EvidencePlace[];
  indicators?: string[];
}

export interface EvidenceRetractedData {
  reason: string;
}

/** Why the matcher attached a report: which scope place and indicator matched. */
export interface MatchRule {
  name: 'scope-match-v1';
  place: string;
  indicator: string;
  by: 'name' | 'distance';
  distanceKm?: number;
}

export interface EvidenceAttachedData {
  evidenceId: string;
  stance: Stance;
  attachedBy: AttachedBy;
  rule?: MatchRule;
}

export interface EvidenceDetachedData {
  evidenceId: string;
  reason: 'retracted';
}

export interface VerificationStatusChangedData {
  from: VerificationStatus;
  to: VerificationStatus;
  support: number;
  contradict: number;
  basis: string[];
  rule: string;
}

export interface EventDataByType {
  ClaimRecorded: ClaimRecordedData;
  EvidenceSubmitted: EvidenceSubmittedData;
  EvidenceRetracted: EvidenceRetractedData;
  EvidenceAttached: EvidenceAttachedData;
  EvidenceDetached: EvidenceDetachedData;
  VerificationStatusChanged: VerificationStatusChangedData;
}

/** An event as a decider produces it, before the ledger gives it a place. */
export type NewEvent = {
  [T in EventType]: { type: T; data: EventDataByType[T] };
}[EventType];

/** Who caused an event: an API key (never the key itself) or the system's own workers. */
export type Actor =
  | { kind: 'api-key'; id: string; name: string; role: string }
  | { kind: 'system'; name: string };

export interface EventMetadata {
  actor: Actor;
  correlationId: string;
  causationId: string | null;
}

/** An event as stored and as the feeds return it. */
export interface StoredEvent<E extends NewEvent = NewEvent> {
  position: number;
  streamId: string;
  streamVersion: number;
  type: E['type'];
  data: E['data'];
  metadata: EventMetadata;
  recordedAt: string;
  prevHash: string;
  hash: string;
}

export const claimStreamId = (claimId: string): string => `claim-${claimId}`;
export const evidenceStreamId = (evidenceId: string): string => `evidence-${evidenceId}`;
