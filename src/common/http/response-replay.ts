/** A response as it was first sent, kept so that a retried request can be answered again. */
export interface StoredResponse {
  status: number;
  body: unknown;
  headers: Record<string, string>;
}

/**
 * An error that carries a ready answer: the response a request with the same Idempotency-Key got
 * the first time. The problem filter sends that response again when the request is the same, and
 * 409 when it is not. The ledger's IdempotencyReplay extends it, so this folder needs nothing
 * from the ledger to answer replays.
 */
export class ResponseReplay extends Error {
  constructor(
    readonly response: StoredResponse,
    readonly sameRequest: boolean,
    message = 'idempotency key already used',
  ) {
    super(message);
  }
}
