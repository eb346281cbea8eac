/**
 * given(events).when(command).then(events): a tiny harness for pure deciders.
 * The state is folded from the given events with `evolve`, the command decided against it, and
 * the produced events compared; `thenThrows` checks a refusal instead.
 */
export interface Decider<C, S, E> {
  decide(command: C, state: S): E[];
  evolve(state: S, event: E): S;
  initialState: S;
}

export interface When<S, E> {
  /** The events the command produced must equal these (deep equality, order matters). */
  then(expected: E[]): E[];
  /** The command must be refused with this error class (and, optionally, matching fields). */
  thenThrows(errorClass: new (...args: never[]) => Error, match?: Record<string, unknown> | RegExp): void;
  /** The state before the command, for extra assertions. */
  readonly state: S;
}

export function scenario<C, S, E>(decider: Decider<C, S, E>) {
  return {
    given(events: E[] = []) {
      const state = events.reduce(decider.evolve, decider.initialState);
      return {
        state,
        when(command: C): When<S, E> {
          return {
            state,
            then(expected: E[]): E[] {
              const produced = decider.decide(command, state);
              expect(produced).toEqual(expected);
              // Whatever was decided must fold without surprises.
              produced.reduce(decider.evolve, state);
              return produced;
            },
            thenThrows(errorClass, match) {
              let thrown: unknown;
              try {
                decider.decide(command, state);
              } catch (err) {
                thrown = err;
              }
              expect(thrown).toBeInstanceOf(errorClass);
              if (match instanceof RegExp) expect((thrown as Error).message).toMatch(match);
              else if (match) expect(thrown).toMatchObject(match);
            },
          };
        },
        /** The state after the given events and, optionally, more. */
        then(more: E[] = []): S {
          return more.reduce(decider.evolve, state);
        },
      };
    },
  };
}
