import type { Logger } from '@nestjs/common';

/** One warning when a dependency goes away and one line when it is back, however often it fails meanwhile. */
export class OutageLog {
  private since: number | null = null;
  private failures = 0;

  constructor(
    private readonly logger: Pick<Logger, 'warn' | 'log'>,
    private readonly downMessage: string,
    private readonly upMessage: string,
  ) {}

  down(detail: string, now = Date.now()): void {
    this.failures++;
    if (this.since !== null) return;
    this.since = now;
    this.logger.warn(`${this.downMessage} (${detail}); retrying quietly until it is back`);
  }

  up(now = Date.now()): void {
    if (this.since === null) return;
    this.logger.log(`${this.upMessage} after ${Math.round((now - this.since) / 100) / 10} s (${this.failures} failed attempts)`);
    this.since = null;
    this.failures = 0;
  }
}
