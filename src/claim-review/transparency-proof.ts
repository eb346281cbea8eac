/**
 * claim-ledger's own JSON-LD terms (issues 12 and 15): the ledger reference (`claimLedger`) and
 * where the verdict sits in the signed Merkle tree (`transparency`), never as undefined
 * schema.org terms. `@context` is [schema.org, CLAIM_LEDGER_CONTEXT]: `claimLedger` and
 * `transparency` expand to IRIs under CLAIM_LEDGER_NS, and so does every member inside them (a
 * property-scoped context with our vocabulary, JSON-LD 1.1); every other term stays schema.org's.
 */
export const CLAIM_LEDGER_NS = 'urn:claim-ledger:ns:v1#';

/** `additionalType` of a pledge: an IRI in our namespace (schema.org has no Pledge type). */
export const PLEDGE_TYPE_IRI = `${CLAIM_LEDGER_NS}Pledge`;

export interface TransparencyProofRef {
  /** The event the proof is for, by type: the claim's latest VerificationStatusChanged. */
  eventType: 'VerificationStatusChanged';
  position: number;
  eventHash: string;
  /** The signed checkpoint whose tree includes it (null while none covers it yet). */
  checkpoint: { size: number; rootHash: string; origin: string } | null;
  /** GET /api/claims/:id/proof: the event, its inclusion proof and the signed checkpoint. */
  proof: string;
  /** The log's verifier key (C2SP vkey) and where it is served. */
  vkey: string;
  vkeyUrl: string;
}

/** Inside our two members: every term is ours; the link-valued ones are IRIs. */
const OUR_VOCABULARY = {
  '@vocab': CLAIM_LEDGER_NS,
  feed: { '@type': '@id' },
  proof: { '@type': '@id' },
  vkeyUrl: { '@type': '@id' },
} as const;

export const CLAIM_LEDGER_CONTEXT = {
  cl: CLAIM_LEDGER_NS,
  claimLedger: { '@id': 'cl:claimLedger', '@context': OUR_VOCABULARY },
  transparency: { '@id': 'cl:transparency', '@context': OUR_VOCABULARY },
} as const;

/** The `@context` of every ClaimReview we send. */
export const CLAIM_REVIEW_CONTEXT = ['https://schema.org', CLAIM_LEDGER_CONTEXT] as const;

/** The review with the proof member added (nothing else changes). */
export function withTransparencyProof<T extends object>(review: T, proof: TransparencyProofRef): T & { transparency: TransparencyProofRef } {
  return { ...review, transparency: proof };
}
