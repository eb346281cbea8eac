/**
 * Runs one piece of work at a time. A wake-up while it runs asks for exactly one more run after
 * it: no wake-up is lost and runs never overlap (the log dispatchers work this way).
 */
export class CoalescingRunner {
  private current: Promise<void> | null = null;
  private again = false;

  constructor(
    private readonly work: () => Promise<void>,
    private readonly isStopped: () => boolean,
  ) {}

  /** Starts a run now, or one more after the run in progress. */
  wake(): void {
    if (this.isStopped()) return;
    if (this.current) {
      this.again = true;
      return;
    }
    this.current = this.work().finally(() => {
      this.current = null;
      if (this.again && !this.isStopped()) {
        this.again = false;
        this.wake();
      }
    });
  }

  /**
   * Wakes until `caughtUp()` holds with no run in progress, or `timeoutMs` passes (tests,
   * shutdown): true when it got there.
   */
  async settle(caughtUp: () => Promise<boolean>, timeoutMs = 10_000): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if ((await caughtUp()) && !this.current) return true;
      this.wake();
      await new Promise((r) => setTimeout(r, 20));
    }
    return false;
  }

  /** The run in progress (null when idle). */
  get running(): Promise<void> | null {
    return this.current;
  }
}
