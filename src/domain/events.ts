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
} from './types';

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

/** What the ledger adds to an event when it gives it a place in the log. */
export interface Envelope {
  position: number;
  streamId: string;
  streamVersion: number;
  metadata: EventMetadata;
  recordedAt: string;
  prevHash: string;
  hash: string;
}

/** One stored event of type T. */
export type StoredEventOf<T extends EventType> = Envelope & { type: T; data: EventDataByType[T] };

/**
 * An event as stored and as the feeds return it. A union over the types, so checking `type`
 * narrows `data` (`e.type === 'ClaimRecorded'` makes `e.data` a ClaimRecordedData).
 */
export type StoredEvent = { [T in EventType]: StoredEventOf<T> }[EventType];

/** Data of one event type, by name. */
export type DataOf<T extends EventType> = EventDataByType[T];

export const claimStreamId = (claimId: string): string => `claim-${claimId}`;
export const evidenceStreamId = (evidenceId: string): string => `evidence-${evidenceId}`;
/** The aggregate id inside a stream id (`claim-<id>`, `evidence-<id>`). */
export const idFromStream = (streamId: string): string => streamId.slice(streamId.indexOf('-') + 1);
