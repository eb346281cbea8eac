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
}

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

/** API key roles: admin ⊃ checker ⊃ viewer. */
export type Role = 'admin' | 'checker' | 'viewer';
export const ROLES: readonly Role[] = ['admin', 'checker', 'viewer'];

/** Who sent a request: the API key's id, name and role (never the key itself). */
export interface Principal {
  id: string;
  name: string;
  role: Role;
}
