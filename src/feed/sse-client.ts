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

  constructor(
    readonly id: number,
    private readonly raw: ServerResponse,
    after: number,
    /** A consumer that lets this much pile up unsent is dropped; it resumes by Last-Event-ID. */
    private readonly maxBufferedBytes: number,
  ) {
    this.sent = after;
    this.settled = new Promise((resolve) => raw.once('close', () => resolve()));
    raw.on('close', () => this.markClosed());
    raw.on('error', () => this.markClosed());
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
    this.raw.write(chunk);
    if (this.raw.writableLength > this.maxBufferedBytes) {
      this.end();
      return false;
    }
    return true;
  }

  /** Resolves once the socket has flushed most of what was written (or the client is gone). */
  drained(highWaterBytes = 256 * 1024): Promise<void> {
    if (this.closed || this.raw.writableLength <= highWaterBytes) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        this.raw.off('drain', done);
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

  private markClosed(): void {
    if (this.closed) return;
    this.closed = true;
    for (const l of this.closeListeners.splice(0)) l(this);
  }
}
