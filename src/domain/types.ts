/** Shapes shared by the claim and evidence aggregates and the verification rules (see shared contract). */
export type ClaimKind = 'claim' | 'pledge';
export const CLAIM_KINDS: readonly ClaimKind[] = ['claim', 'pledge'];

export interface Speaker {
  name: string;
  affiliation?: string;
}

export interface SourceRef {
  url: string;
  publisher?: string;
  publishedAt?: string;
}

export interface ScopePlace {
  name: string;
  lat?: number;
  lon?: number;
  radiusKm?: number;
}

export type Expectation = 'absence' | 'presence';

export interface Scope {
  places: ScopePlace[];
  indicators: string[];
  from: string;
  until?: string;
  expectation: Expectation;
}

export type Stance = 'supports' | 'contradicts';
export const STANCES: readonly Stance[] = ['supports', 'contradicts'];

export type Reliability = 'A' | 'B' | 'C' | 'D' | 'E' | 'F';
export const RELIABILITIES: readonly Reliability[] = ['A', 'B', 'C', 'D', 'E', 'F'];
export type Credibility = 1 | 2 | 3 | 4 | 5 | 6;

export interface EvidencePlace {
  name: string;
  lat?: number;
  lon?: number;
  /** matching-v2: the event is somewhere within this many km of lat/lon (≥ 0). */
  precisionKm?: number;
}

/** Where an imported report comes from (import v1): the dataset's row and its revision. */
export interface ExternalRef {
  dataset: string;
  id: string;
  /** The row's last edit upstream (ACLED: `timestamp`, unix seconds); higher wins. */
  revision: number;
  /** The row's other columns, as strings. */
  fields?: Record<string, string>;
}

/** An editor's published rating (workflow v1): a status, or that it cannot be verified. */
export type Rating = 'confirmed' | 'supported' | 'disputed' | 'contradicted' | 'refuted' | 'unverifiable';
export const RATINGS: readonly Rating[] = ['confirmed', 'supported', 'disputed', 'contradicted', 'refuted', 'unverifiable'];

export type VerificationStatus =
  | 'unverified'
  | 'confirmed'
  | 'refuted'
  | 'supported'
  | 'contradicted'
  | 'disputed';
export const VERIFICATION_STATUSES: readonly VerificationStatus[] = [
  'unverified',
  'confirmed',
  'refuted',
  'supported',
  'contradicted',
  'disputed',
];

export type AttachedBy = 'checker' | 'matcher';

/** API key roles: admin ⊃ editor ⊃ checker ⊃ viewer (workflow v1: editors propose and approve reviews). */
export type Role = 'admin' | 'editor' | 'checker' | 'viewer';
export const ROLES: readonly Role[] = ['admin', 'editor', 'checker', 'viewer'];

/** Who sent a request: the API key's id, name and role (never the key itself). */
export interface Principal {
  id: string;
  name: string;
  role: Role;
}
