import type { ServerResponse } from 'node:http';

/**
 * One connected SSE consumer. `sent` is the position of the last event written to it; every
 * write path delivers only positions above it, which is what makes resuming exactly-once.
 */
export class SseClient {
  /** Position of the last event written (or the `after` it asked for). */
  sent: number;
  /** false while it catches up from the log; true once the shared tail feeds it. */
  live = false;
  closed = false;
  readonly connectedAt = Date.now();
  private readonly closeListeners: Array<(c: SseClient) => void> = [];
  /** Resolves when the socket side of the response is over (flushed or torn down). */
  readonly settled: Promise<void>;

  /** Set while the socket has more queued than it takes (a write returned false), until 'drain'. */
  private slowTimer: NodeJS.Timeout | null = null;

  constructor(
    readonly id: number,
    private readonly raw: ServerResponse,
    after: number,
    /** A consumer that lets this much pile up unsent is dropped; it resumes by Last-Event-ID. */
    private readonly maxBufferedBytes: number,
    /** A consumer whose socket has not drained for this long is dropped (SSE_SLOW_CLIENT_MS). */
    private readonly slowClientMs: number = 30_000,
    /** The API key the stream was opened with (its revocation closes the stream); null: keyless. */
    readonly keyId: string | null = null,
  ) {
    this.sent = after;
    this.settled = new Promise((resolve) => raw.once('close', () => resolve()));
    raw.on('close', () => this.markClosed());
    raw.on('error', () => this.markClosed());
    raw.on('drain', () => this.clearSlowTimer());
  }

  onClose(listener: (c: SseClient) => void): void {
    this.closeListeners.push(listener);
  }

  /** Writes a chunk; false (and the client closed) when the socket is gone or hopelessly behind. */
  write(chunk: string | Buffer): boolean {
    if (this.closed) return false;
    if (this.raw.destroyed || this.raw.writableEnded) {
      this.markClosed();
      return false;
    }
    const flowing = this.raw.write(chunk);
    if (this.raw.writableLength > this.maxBufferedBytes) {
      this.end();
      return false;
    }
    // A consumer that stops reading keeps its backlog in this process: give it SSE_SLOW_CLIENT_MS
    // to drain, then drop it (a reader that was only slow resumes by Last-Event-ID).
    if (!flowing && !this.slowTimer) {
      this.slowTimer = setTimeout(() => this.destroy(), this.slowClientMs);
      this.slowTimer.unref();
    }
    return true;
  }

  /** Bytes written but not yet taken by the socket. */
  get backlogBytes(): number {
    return this.raw.writableLength;
  }

  /**
   * Resolves once the socket has taken everything written (or the client is gone). Catch-up waits
   * on this between pages, so a reader that does not read holds at most one page here.
   */
  drained(): Promise<void> {
    if (this.closed || !this.raw.writableNeedDrain) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        this.raw.off('drain', done);
        const i = this.closeListeners.indexOf(done);
        if (i >= 0) this.closeListeners.splice(i, 1);
        resolve();
      };
      this.raw.on('drain', done);
      // end() or a dropped connection also releases the wait.
      this.closeListeners.push(done);
    });
  }

  /** Ends the response cleanly (the browser's EventSource reconnects with Last-Event-ID). */
  end(): void {
    if (this.closed) return;
    try {
      if (!this.raw.writableEnded) this.raw.end();
      // A consumer that stopped reading would hold the socket (and a shutdown) open: cut it.
      if (this.raw.writableLength > this.maxBufferedBytes / 2) this.raw.destroy();
    } catch {
      /* socket already gone */
    }
    this.markClosed();
  }

  /** Drops the connection without waiting for unsent data (shutdown of a stuck consumer). */
  destroy(): void {
    this.raw.destroy();
    this.markClosed();
  }

  private clearSlowTimer(): void {
    if (this.slowTimer) clearTimeout(this.slowTimer);
    this.slowTimer = null;
  }

  private markClosed(): void {
    if (this.closed) return;
    this.closed = true;
    this.clearSlowTimer();
    for (const l of this.closeListeners.splice(0)) l(this);
  }
}
