import type {
  AttachedBy,
  ClaimKind,
  Credibility,
  EvidencePlace,
  ExternalRef,
  Rating,
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
  // import v1 (IMPORT.md)
  EvidenceRevised: 'EvidenceRevised',
  ImportCompleted: 'ImportCompleted',
  // workflow v1 (WORKFLOW.md) and verdict-v2 (VERDICT.md)
  ReviewProposed: 'ReviewProposed',
  ReviewPublished: 'ReviewPublished',
  ReviewRejected: 'ReviewRejected',
  ScopeWindowClosed: 'ScopeWindowClosed',
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
  /** matching-v2: the event happened some time in [observedAt, observedUntil). */
  observedUntil?: string;
  /** Imported reports: the dataset row this report is. */
  external?: ExternalRef;
}

export interface EvidenceRetractedData {
  reason: string;
}

/** Why the matcher attached a report: which scope place and indicator matched. */
export interface MatchRule {
  name: 'scope-match-v1' | 'matching-v2';
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
  /** `revised`: an import revision no longer matches the pledge (IMPORT.md). */
  reason: 'retracted' | 'revised';
}

export interface VerificationStatusChangedData {
  from: VerificationStatus;
  to: VerificationStatus;
  support: number;
  contradict: number;
  basis: string[];
  rule: string;
  /** verdict-v2: why, as a code (e.g. `window-closed-without-contrary-reports`); absent in verdict-v1 events. */
  reason?: string;
}

/** A new revision of an imported report: its facts replace the submitted ones (IMPORT.md). */
export type EvidenceRevisedData = Omit<EvidenceSubmittedData, 'claimId' | 'stance'>;

/** The end of one import, on stream `import-<id>`: which file produced which reports. */
export interface ImportCompletedData {
  importId: string;
  dataset: string;
  format: 'acled' | 'acled-deletions' | 'ndjson';
  sha256: string;
  counts: { rows: number; accepted: number; revised: number; unchanged: number; stale: number; retracted: number; rejected: number };
}

export interface ReviewProposedData {
  reviewId: string;
  rating: Rating;
  explanation: string;
  claimVersion: number;
  machineStatus: VerificationStatus;
}

export interface ReviewPublishedData {
  reviewId: string;
  comment?: string;
}

export interface ReviewRejectedData {
  reviewId: string;
  comment: string;
}

/** verdict-v2: the pledge's scope window closed (`at` = scope.until), with the weights then. */
export interface ScopeWindowClosedData {
  at: string;
  support: number;
  contradict: number;
}

export interface EventDataByType {
  ClaimRecorded: ClaimRecordedData;
  EvidenceSubmitted: EvidenceSubmittedData;
  EvidenceRetracted: EvidenceRetractedData;
  EvidenceAttached: EvidenceAttachedData;
  EvidenceDetached: EvidenceDetachedData;
  VerificationStatusChanged: VerificationStatusChangedData;
  EvidenceRevised: EvidenceRevisedData;
  ImportCompleted: ImportCompletedData;
  ReviewProposed: ReviewProposedData;
  ReviewPublished: ReviewPublishedData;
  ReviewRejected: ReviewRejectedData;
  ScopeWindowClosed: ScopeWindowClosedData;
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
export const importStreamId = (importId: string): string => `import-${importId}`;
/** The aggregate id inside a stream id (`claim-<id>`, `evidence-<id>`). */
export const idFromStream = (streamId: string): string => streamId.slice(streamId.indexOf('-') + 1);
