import { Logger } from '@nestjs/common';
import { CoalescingRunner } from '../common/coalescing-runner';
import type { StoredEvent } from '../domain/events';
import type { EventStore } from '../ledger/event-store';
import type { LedgerReader } from '../ledger/ledger-reader';
import { carriesWebhook, webhookPayloadOf, type ReviewLookup } from './webhook-events';
import { deliveryIdOf } from './webhook-signing';
import type { NewDelivery, WebhookStore } from './webhook-store';
import type { WebhookSender } from './webhook-sender';

export const WEBHOOK_CHECKPOINT = 'webhook-dispatcher';
const PAGE = 500;
/** The longest wait before events other processes committed become deliveries. */
const POLL_CAP_MS = 10;

/**
 * Turns the log into deliveries: reads events after its durable checkpoint (woken by commits in
 * this process, polling for other processes' rows), and for each event every enabled endpoint
 * subscribed to its type (and created before it) gets one outbox row with a deterministic id.
 * The rows and the checkpoint are written in one transaction, so a crash re-reads at most what
 * was not recorded, and a second dispatcher adds nothing twice. Never called by a request.
 */
export class WebhookDispatcher {
  private readonly logger = new Logger('WebhookDispatcher');
  private checkpoint = 0;
  /** One loop at a time; a wake-up during one asks for one more. */
  private readonly runner = new CoalescingRunner(() => this.loop(), () => this.stopped);
  private stopped = false;
  private timer: NodeJS.Timeout | null = null;
  private unsubscribe: (() => void) | null = null;
  private failures = 0;

  constructor(
    private readonly store: WebhookStore,
    private readonly events: Pick<EventStore, 'onCommit'>,
    private readonly reader: Pick<LedgerReader, 'readAfter' | 'head'>,
    private readonly sender: Pick<WebhookSender, 'notify'>,
    private readonly review: ReviewLookup,
    private readonly options: { pollIntervalMs: number; now: () => Date },
  ) {}

  async start(): Promise<void> {
    this.checkpoint = await this.store.checkpoint(WEBHOOK_CHECKPOINT);
    this.unsubscribe = this.events.onCommit(() => this.wake());
    // Status changes are mostly committed by worker processes: a short poll (one indexed read
    // when nothing is new) finds them quickly without a dispatcher in every worker.
    this.timer = setInterval(() => this.wake(), Math.min(this.options.pollIntervalMs, POLL_CAP_MS));
    this.timer.unref();
    this.wake();
  }

  wake(): void {
    this.runner.wake();
  }

  /** Resolves once everything up to the current head has become deliveries (tests, shutdown). */
  drained(timeoutMs = 10_000): Promise<boolean> {
    return this.runner.settle(async () => {
      const head = (await this.reader.head()).position;
      return this.checkpoint >= head;
    }, timeoutMs);
  }

  position(): number {
    return this.checkpoint;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.unsubscribe?.();
    while (this.runner.running) await this.runner.running;
  }

  private async loop(): Promise<void> {
    try {
      for (;;) {
        if (this.stopped) return;
        // The head first: an endpoint created after the list below starts at or after it.
        const head = (await this.reader.head()).position;
        if (head <= this.checkpoint) return; // nothing new: a poll costs this one indexed read
        // Another dispatcher (a second API process) may have gone further.
        this.checkpoint = Math.max(this.checkpoint, await this.store.checkpoint(WEBHOOK_CHECKPOINT));
        if (head <= this.checkpoint) return;
        const endpoints = (await this.store.endpoints()).filter((e) => e.enabled);
        if (endpoints.length === 0) {
          // No endpoint can want events up to that head (a new one starts after the head at its
          // creation): skip them rather than read them.
          if (head > this.checkpoint) {
            await this.store.addDeliveries([], WEBHOOK_CHECKPOINT, head, this.options.now().toISOString());
            this.checkpoint = head;
          }
          return;
        }
        const events = await this.reader.readAfter(this.checkpoint, PAGE);
        if (events.length === 0) return;
        const rows: NewDelivery[] = [];
        for (const event of events) rows.push(...(await this.deliveriesOf(event, endpoints)));
        const last = events[events.length - 1].position;
        const added = await this.store.addDeliveries(rows, WEBHOOK_CHECKPOINT, last, this.options.now().toISOString());
        this.checkpoint = last;
        this.failures = 0;
        await this.sender.notify(added);
        if (events.length < PAGE) return;
      }
    } catch (err) {
      this.failures++;
      if (this.failures === 1 || this.failures % 20 === 0) this.logger.warn(`could not turn events into webhook deliveries (attempt ${this.failures}): ${(err as Error).message}`);
    }
  }

  private async deliveriesOf(event: StoredEvent, endpoints: Awaited<ReturnType<WebhookStore['endpoints']>>): Promise<NewDelivery[]> {
    if (!carriesWebhook(event)) return [];
    const wanting = endpoints.filter((e) => event.position > e.fromPosition);
    if (wanting.length === 0) return [];
    const payload = await webhookPayloadOf(event, this.review);
    if (!payload) return [];
    const body = JSON.stringify(payload);
    return wanting
      .filter((e) => e.events.includes(payload.type))
      .map((e) => ({ id: deliveryIdOf(e.id, event.hash, event.position), webhookId: e.id, type: payload.type, position: event.position, body, eventRecordedAt: event.recordedAt }));
  }
}
