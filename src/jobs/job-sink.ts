import type { DeadLetter, FailedJob } from './dead-letters';
import type { PlannedJob } from './job-plan';

/** Where a retried dead letter's job stands in the queue store. */
export type RetriedJobState = 'completed' | 'failed' | 'pending' | 'missing';

/** How far hand-over has got in one queue store, as that store itself remembers it. */
export interface HandOver {
  /** Names the store's current contents; a store that lost them (Redis restarted empty) gets a new one. */
  token: string;
  /** Every job of the events up to here was handed to this store. */
  position: number;
  /** True when this call found no hand-over state in the store and started it from `seed`. */
  started: boolean;
}

/**
 * For sinks whose store can lose what it was given (Redis restarted without its data): the
 * hand-over position is kept IN that store, so it vanishes together with the jobs, and the
 * dispatcher then hands over again from the durable "finished" watermark it keeps in the database.
 */
export interface HandOverProgress {
  /** Keys the hand-over state by the ledger (hash of its first event), so two logs never share it. */
  useLedger(ledgerId: string): void;
  /** Drops hand-over state that cannot belong to this log (it claims positions beyond our head). */
  forget(state: HandOver): Promise<void>;
  /** The store's hand-over state; when it has none (new or wiped), starts one at `seed`. */
  read(seed: number): Promise<HandOver>;
  /** Moves the position up to `position` if the store still holds `from.token`; false if it lost it meanwhile. */
  advance(from: HandOver, position: number): Promise<boolean>;
  /**
   * One consistent look at the store: the highest position up to which every job handed over has
   * finished (completed, or failed for good), and the ids of the jobs that failed for good with a
   * position in (after, that position]: the dispatcher records those as dead letters before it
   * moves the watermark past them. null when the store has no state.
   */
  finishedUpTo(after: number): Promise<{ position: number; failed: string[] } | null>;
  /** The failed jobs' data, reason and attempts; null if one of them is gone (look again later). */
  failedJobs(ids: string[]): Promise<FailedJob[] | null>;
  /** Where retried dead letters' jobs stand. */
  jobStates(ids: string[]): Promise<Map<string, RetriedJobState>>;
  /** Forgets finished (completed or failed) jobs planned after `position`, so handing them over again runs them again. */
  dropFinishedAfter(position: number): Promise<number>;
}

/** Where the dispatcher hands planned jobs: BullMQ queues, or the in-process runner. */
export interface JobSink {
  readonly mode: 'bullmq' | 'inline';
  /** Resolves only once the jobs are durably accepted (or, inline, done); throws otherwise. */
  deliver(jobs: PlannedJob[]): Promise<void>;
  /**
   * A dead letter's job once more, under its own job id (BullMQ: back to its queue; inline: run in
   * this process in the background, recording the outcome). Resolves once it is accepted.
   */
  retry(letter: DeadLetter): Promise<void>;
  close(): Promise<void>;
  /** Present when the sink's store may lose jobs it accepted (BullMQ); absent: accepted means done (inline). */
  readonly progress?: HandOverProgress;
}
