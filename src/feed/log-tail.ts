import { Logger } from '@nestjs/common';
import type { EventStore } from '../ledger/event-store';
import type { EventRow, LedgerReader } from '../ledger/ledger-reader';
import { HEARTBEAT_FRAME, sseFrame } from './sse-frames';

const HEARTBEAT_BYTES = Buffer.from(HEARTBEAT_FRAME, 'utf8');
import type { SseClient } from './sse-client';

export interface LogTailOptions {
  /** How often to look for rows written by other processes (commits here wake the tail at once). */
  pollIntervalMs: number;
  /** Comment frames to every client this often, so idle proxies keep the stream open. */
  heartbeatMs: number;
  /** Recent frames kept in memory, so (re)connecting near the head needs no database read. */
  bufferEvents: number;
  /** Rows per database read by the shared tail, and the most per catch-up read. */
  pageSize: number;
  /**
   * A client catching up gets pages of about this many bytes (from the ring or the log) and must
   * take each before the next: a reader that does not read holds one page in this process, not its
   * whole history.
   */
  pageBytes: number;
  /**
   * Budget of socket writes per second for the live fan-out. Every flush costs one write per
   * client, so with many clients commits are coalesced: the tail waits at least
   * clients × 1000 / budget ms between flushes (at most maxFlushDelayMs). A few clients get
   * every commit at once; a thousand get them in batches, and appends keep their pace.
   */
  writesPerSecond: number;
  maxFlushDelayMs: number;
}

export interface LogTailStats {
  clients: number;
  live: number;
  catchingUp: number;
  /** Position of the last event the tail has read and fanned out. */
  head: number;
  /** Database reads made by the shared tail (independent of the number of clients). */
  tailReads: number;
  /** Database reads made to catch individual clients up from history. */
  catchUpReads: number;
  framesWritten: number;
  heartbeats: number;
  connectionsTotal: number;
  /** Current minimum time between flushes (grows with the number of live clients). */
  flushIntervalMs: number;
}

/** Live clients written per turn of the event loop during a fan-out. */
const FANOUT_SLICE = 256;

interface Frame {
  position: number;
  text: string;
}

/**
 * The one reader of the log behind every SSE client. Woken by EventStore.onCommit (commits in
 * this process) and by a poll (commits by other processes), it reads each new page once, keeps
 * a ring of recent frames, and writes the same pre-built text to every live client.
 *
 * A client that connects with an `after` position catches up on its own: first from the ring
 * when it reaches back far enough, else from the log in pages; once its `sent` position meets
 * the ring it switches to live in the same synchronous step, so nothing committed in between
 * is lost. Every write is filtered by `position > client.sent`: no gap, no duplicate.
 */
export class LogTail {
  private readonly logger = new Logger('LogTail');
  private readonly clients = new Set<SseClient>();
  private readonly liveClients = new Set<SseClient>();
  private readonly catchUps = new Set<Promise<void>>();
  /** Recent frames, positions contiguous and ascending: ring[i].position === ringStart + i. */
  private ring: Frame[] = [];
  /** Position of the last event read by the tail. */
  private head = 0;
  /** True until the tail has found the head, and again whenever it idled with no clients. */
  private stale = true;
  private running: Promise<void> | null = null;
  private again = false;
  private started = false;
  private stopped = false;
  private pollTimer: NodeJS.Timeout | null = null;
  private delayTimer: NodeJS.Timeout | null = null;
  private lastLoopAt = 0;
  private heartbeatTimer: NodeJS.Timeout | null = null;
  private unsubscribe: (() => void) | null = null;
  private failures = 0;
  /** Average frame size seen so far: sizes the catch-up reads to about pageBytes. */
  private avgFrameBytes = 1024;
  private readonly counters = { tailReads: 0, catchUpReads: 0, framesWritten: 0, heartbeats: 0, connectionsTotal: 0 };

  constructor(
    private readonly store: EventStore,
    private readonly reader: LedgerReader,
    readonly options: LogTailOptions,
  ) {}

  start(): void {
    if (this.started) return;
    this.started = true;
    this.unsubscribe = this.store.onCommit(() => this.wake());
    this.pollTimer = setInterval(() => this.wake(), this.options.pollIntervalMs);
    this.pollTimer.unref();
    this.heartbeatTimer = setInterval(() => this.heartbeat(), this.options.heartbeatMs);
    this.heartbeatTimer.unref();
  }

  get isStopped(): boolean {
    return this.stopped;
  }

  stats(): LogTailStats {
    return {
      clients: this.clients.size,
      live: this.liveClients.size,
      catchingUp: this.clients.size - this.liveClients.size,
      head: this.head,
      ...this.counters,
      flushIntervalMs: this.flushIntervalMs(),
    };
  }

  /** Adds a client that has seen everything up to `client.sent`; it catches up, then goes live. */
  subscribe(client: SseClient): void {
    if (this.stopped) {
      client.end();
      return;
    }
    this.counters.connectionsTotal++;
    this.clients.add(client);
    client.onClose((c) => {
      this.clients.delete(c);
      this.liveClients.delete(c);
    });
    this.wake();
    this.restartCatchUp(client);
  }

  /** Stops reading and ends every client's stream, so the HTTP server can close at once. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.pollTimer) clearInterval(this.pollTimer);
    if (this.heartbeatTimer) clearInterval(this.heartbeatTimer);
    if (this.delayTimer) clearTimeout(this.delayTimer);
    this.unsubscribe?.();
    const all = [...this.clients];
    for (const c of all) c.end();
    await this.running;
    await Promise.allSettled([...this.catchUps]);
    // Give each socket a moment to flush its last bytes, then cut whatever is still open.
    let timer: NodeJS.Timeout | undefined;
    const grace = new Promise<void>((r) => (timer = setTimeout(r, 1000)));
    await Promise.race([Promise.all(all.map((c) => c.settled)), grace]);
    clearTimeout(timer);
    for (const c of all) c.destroy();
  }

  wake(): void {
    if (this.stopped) return;
    // No one listening: skip the read, and find the head again when someone connects.
    if (this.clients.size === 0) {
      this.stale = true;
      return;
    }
    if (this.running) {
      this.again = true;
      return;
    }
    if (this.delayTimer) return;
    const wait = this.lastLoopAt + this.flushIntervalMs() - Date.now();
    if (wait > 0) {
      this.delayTimer = setTimeout(() => {
        this.delayTimer = null;
        this.wake();
      }, wait);
      return;
    }
    this.lastLoopAt = Date.now();
    this.running = this.loop().finally(() => {
      this.running = null;
      if (this.again && !this.stopped) {
        this.again = false;
        this.wake();
      }
    });
  }

  /** Minimum time between two reads-and-flushes: keeps the fan-out within its write budget. */
  flushIntervalMs(): number {
    const n = this.liveClients.size;
    if (n === 0) return 0;
    return Math.min(this.options.maxFlushDelayMs, Math.floor((n * 1000) / this.options.writesPerSecond));
  }

  private get ringStart(): number {
    return this.head - this.ring.length + 1;
  }

  private async loop(): Promise<void> {
    try {
      if (this.stale) {
        // Jump to the head instead of reading what was written while no one listened. Only
        // safe while no client is live (each catching-up client reads the log up to the ring).
        const head = (await this.reader.head()).position;
        this.counters.tailReads++;
        if (this.liveClients.size === 0) {
          this.ring = [];
          this.head = Math.max(this.head, head);
        }
        this.stale = false;
      }
      for (;;) {
        if (this.stopped || this.clients.size === 0) return;
        const rows = await this.reader.readRowsAfter(this.head, this.options.pageSize);
        this.counters.tailReads++;
        if (rows.length === 0) break;
        const frames = rows.map((r) => ({ position: r.position, text: sseFrame(r) }));
        this.noteFrameSizes(frames.reduce((n, f) => n + f.text.length, 0), frames.length);
        this.append(frames);
        await this.fanOut(frames);
        if (rows.length < this.options.pageSize) break;
      }
      this.failures = 0;
    } catch (err) {
      this.failures++;
      if (this.failures === 1 || this.failures % 50 === 0) {
        this.logger.warn(`reading the log failed (${this.failures}x): ${(err as Error).message}; the poll retries`);
      }
    }
  }

  private append(frames: Frame[]): void {
    this.ring.push(...frames);
    this.head = frames[frames.length - 1].position;
    const cap = this.options.bufferEvents;
    // Trim in chunks so the copy is amortised over many appends.
    if (this.ring.length > cap + Math.max(64, cap >> 2)) this.ring = this.ring.slice(this.ring.length - cap);
  }

  /**
   * Writes a page to every live client, in slices: with thousands of clients one flush is
   * thousands of socket writes, and requests should get the event loop in between.
   */
  private async fanOut(frames: Frame[]): Promise<void> {
    const first = frames[0].position;
    const last = frames[frames.length - 1].position;
    // The common case (a client that had everything before this page) gets the same bytes:
    // encoded once, not once per client.
    let whole: Buffer | null = null;
    const targets = [...this.liveClients];
    for (let i = 0; i < targets.length; i++) {
      if (i > 0 && i % FANOUT_SLICE === 0) await new Promise((r) => setImmediate(r));
      const client = targets[i];
      if (client.closed || !client.live || client.sent >= last) continue;
      if (client.sent < first - 1) {
        // Cannot happen while the ring is contiguous; if it ever does, resume from the log.
        this.liveClients.delete(client);
        client.live = false;
        this.restartCatchUp(client);
        continue;
      }
      let chunk: string | Buffer;
      if (client.sent === first - 1) {
        whole ??= Buffer.from(frames.map((f) => f.text).join(''), 'utf8');
        chunk = whole;
        this.counters.framesWritten += frames.length;
      } else {
        const from = client.sent - first + 1;
        chunk = frames
          .slice(from)
          .map((f) => f.text)
          .join('');
        this.counters.framesWritten += frames.length - from;
      }
      client.sent = last;
      client.write(chunk);
    }
  }

  private restartCatchUp(client: SseClient): void {
    const job = this.catchUp(client).catch((err) => {
      this.logger.warn(`client ${client.id} could not catch up: ${(err as Error).message}`);
      client.end();
    });
    this.catchUps.add(job);
    void job.finally(() => this.catchUps.delete(job));
  }

  /** History page by page (from the ring when it reaches back far enough, else from the log), then live. */
  private async catchUp(client: SseClient): Promise<void> {
    for (;;) {
      if (client.closed || this.stopped) return;
      if (this.stale) {
        // The tail is (re)finding the head; it will have a ring position shortly.
        await this.running;
        if (this.stale) await new Promise((r) => setTimeout(r, 5));
      }
      if (!this.stale) {
        const step = this.ringStep(client);
        if (step === 'live') return;
        if (step === 'page') {
          await client.drained();
          continue;
        }
      }
      const rows: EventRow[] = await this.reader.readRowsAfter(client.sent, this.catchUpRows());
      this.counters.catchUpReads++;
      if (client.closed || this.stopped) return;
      if (rows.length === 0) {
        // At the log's head, but the tail has not caught up with that head yet: wait for it.
        if (!this.stale && this.ringStep(client) !== 'miss') continue;
        this.wake();
        await new Promise((r) => setTimeout(r, Math.min(50, this.options.pollIntervalMs)));
        continue;
      }
      const fresh = rows.filter((r) => r.position > client.sent);
      if (fresh.length === 0) continue;
      client.sent = fresh[fresh.length - 1].position;
      this.counters.framesWritten += fresh.length;
      const texts = fresh.map(sseFrame);
      this.noteFrameSizes(texts.reduce((n, t) => n + t.length, 0), fresh.length);
      if (!client.write(texts.join(''))) return;
      // Let the reader take this page before the next: one page at most waits here per client.
      await client.drained();
    }
  }

  /** Rows per catch-up read: about pageBytes' worth, by the average frame size seen so far. */
  private catchUpRows(): number {
    return Math.max(1, Math.min(this.options.pageSize, Math.floor(this.options.pageBytes / this.avgFrameBytes)));
  }

  private noteFrameSizes(bytes: number, frames: number): void {
    if (frames > 0) this.avgFrameBytes = Math.max(64, Math.round(this.avgFrameBytes * 0.8 + (bytes / frames) * 0.2));
  }

  /**
   * Synchronous. 'miss': the ring does not reach back to the client. 'page': the client got about
   * pageBytes from the ring and has more to take. 'live': it got the rest of the ring and joined
   * the live set in the same step, so nothing committed in between is lost.
   */
  private ringStep(client: SseClient): 'miss' | 'page' | 'live' {
    if (client.sent < this.ringStart - 1) return 'miss';
    if (client.sent < this.head) {
      const from = client.sent - this.ringStart + 1;
      let to = from;
      let bytes = 0;
      while (to < this.ring.length && bytes < this.options.pageBytes) bytes += this.ring[to++].text.length;
      const frames = this.ring.slice(from, to);
      client.sent = frames[frames.length - 1].position;
      this.counters.framesWritten += frames.length;
      if (!client.write(frames.map((f) => f.text).join(''))) return 'live'; // closed: nothing more to do
      if (to < this.ring.length) return 'page';
    }
    client.live = true;
    if (!client.closed) this.liveClients.add(client);
    return 'live';
  }

  private heartbeat(): void {
    if (this.clients.size === 0) return;
    this.counters.heartbeats++;
    for (const c of this.clients) c.write(HEARTBEAT_BYTES);
  }
}
