/**
 * The transparency extension of ClaimReview (issue 12): where the verdict sits in the signed
 * Merkle tree, in claim-ledger's own JSON-LD namespace (never undefined schema.org terms).
 * `@context` becomes [schema.org, {our terms}]: `claimLedger` and `transparency` expand to IRIs
 * under CLAIM_LEDGER_NS, every other term stays schema.org's.
 */
export const CLAIM_LEDGER_NS = 'urn:claim-ledger:ns:v1#';

export interface TransparencyProofRef {
  /** The event the verdict rests on (VerificationStatusChanged). */
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

export const CLAIM_LEDGER_CONTEXT = {
  cl: CLAIM_LEDGER_NS,
  claimLedger: 'cl:claimLedger',
  transparency: 'cl:transparency',
} as const;

/** The review with our context term and the proof member added (nothing else changes). */
export function withTransparencyProof<T extends { '@context': unknown }>(review: T, proof: TransparencyProofRef): Omit<T, '@context'> & { '@context': [unknown, typeof CLAIM_LEDGER_CONTEXT]; transparency: TransparencyProofRef } {
  const { '@context': context, ...rest } = review;
  return { '@context': [context, CLAIM_LEDGER_CONTEXT], ...rest, transparency: proof };
}
