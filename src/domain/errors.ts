/**
 * Domain errors. They say what went wrong in the domain's words; the one HTTP mapping lives in
 * common/http/problem.filter.ts.
 */
export abstract class DomainError extends Error {
  abstract readonly kind: 'not-found' | 'conflict' | 'precondition-failed' | 'invalid' | 'unavailable' | 'not-rated' | 'forbidden';
  constructor(
    message: string,
    readonly field?: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export class NotFoundError extends DomainError {
  readonly kind = 'not-found' as const;
}

/** A stream moved on since the caller read it (lost race or stale If-Match). */
export class ConcurrencyError extends DomainError {
  readonly kind = 'precondition-failed' as const;
  constructor(
    readonly streamId: string,
    readonly expected: number,
    readonly actual: number,
  ) {
    super(`stream ${streamId} is at version ${actual}, expected ${expected}`);
  }
}

export class ConflictError extends DomainError {
  readonly kind = 'conflict' as const;
}

export class InvalidCommandError extends DomainError {
  readonly kind = 'invalid' as const;
}

export class UnavailableError extends DomainError {
  readonly kind = 'unavailable' as const;
}

export class NotRatedError extends DomainError {
  readonly kind = 'not-rated' as const;
}

/** A rule of the workflow forbids this actor the command (the two-person rule: 403). */
export class ForbiddenError extends DomainError {
  readonly kind = 'forbidden' as const;
}

/**
 * The version a command names (`field`, e.g. claimVersion) is not the one the rule needs: 412.
 * Unlike ConcurrencyError, reading again does not help; the caller must look and decide again.
 */
export class StaleVersionError extends DomainError {
  readonly kind = 'precondition-failed' as const;
}
