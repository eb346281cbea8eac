import type { StoredResponse } from './event-store.types';

/** The Idempotency-Key was used before; carries the first response and whether the bodies match. */
export class IdempotencyReplay extends Error {
  constructor(
    readonly response: StoredResponse,
    readonly sameRequest: boolean,
  ) {
    super('idempotency key already used');
  }
}
