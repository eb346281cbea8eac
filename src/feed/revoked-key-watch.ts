import { Logger } from '@nestjs/common';
import type { SseClient } from './sse-client';

/**
 * Closes the live streams of a revoked API key. Every POLL_MS it asks the database which of the
 * keys behind this process's open streams are revoked (one query, however many streams), and ends
 * their streams. Revocation goes through the database, so a key revoked through any API process
 * closes its streams in every process.
 */
export const REVOKED_KEY_POLL_MS = 250;

export class RevokedKeyWatch {
  private readonly logger = new Logger('RevokedKeyWatch');
  private readonly streams = new Map<string, Set<SseClient>>();
  private timer: NodeJS.Timeout | null = null;
  private checking = false;
  private failures = 0;

  constructor(
    private readonly revokedAmong: (keyIds: string[]) => Promise<Set<string>>,
    private readonly pollMs = REVOKED_KEY_POLL_MS,
  ) {}

  /** Watches a keyed stream until it closes. */
  add(client: SseClient): void {
    const keyId = client.keyId;
    if (!keyId) return;
    let set = this.streams.get(keyId);
    if (!set) this.streams.set(keyId, (set = new Set()));
    set.add(client);
    client.onClose((c) => {
      const s = this.streams.get(keyId);
      s?.delete(c);
      if (s && s.size === 0) this.streams.delete(keyId);
    });
    if (!this.timer) {
      this.timer = setInterval(() => void this.check(), this.pollMs);
      this.timer.unref();
    }
  }

  get watchedKeys(): number {
    return this.streams.size;
  }

  private async check(): Promise<void> {
    if (this.checking) return;
    if (this.streams.size === 0) {
      this.stop();
      return;
    }
    this.checking = true;
    try {
      const revoked = await this.revokedAmong([...this.streams.keys()]);
      for (const keyId of revoked) for (const c of [...(this.streams.get(keyId) ?? [])]) c.end();
      this.failures = 0;
    } catch (err) {
      if (this.failures++ % 100 === 0) this.logger.warn(`could not check for revoked keys: ${(err as Error).message}`);
    } finally {
      this.checking = false;
    }
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}
