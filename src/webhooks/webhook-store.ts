import type { DataSource } from 'typeorm';
import type { EventStore } from '../ledger/event-store';
import type { WebhookEventType } from './webhook-events';

/** One endpoint (table `webhooks`). The secret leaves this file only to sign and in the creating answer. */
export interface Endpoint {
  id: string;
  url: string;
  events: WebhookEventType[];
  description: string | null;
  secret: string;
  enabled: boolean;
  disabledReason: string | null;
  /** Events after this log position are delivered (the head when the endpoint was created). */
  fromPosition: number;
  createdAt: string;
  updatedAt: string;
}

export type DeliveryState = 'pending' | 'delivered' | 'failed';

/** One event for one endpoint (table `webhook_deliveries`, the outbox). */
export interface Delivery {
  id: string;
  webhookId: string;
  type: WebhookEventType;
  position: number;
  body: string;
  eventRecordedAt: string;
  attempts: number;
  state: DeliveryState;
  lastStatus: number | null;
  lastError: string | null;
  nextAttemptAt: string | null;
  createdAt: string;
  deliveredAt: string | null;
}

interface EndpointRowDb {
  id: string;
  url: string;
  events: string;
  description: string | null;
  secret: string;
  enabled: number;
  disabled_reason: string | null;
  from_position: number;
  created_at: string;
  updated_at: string;
}

interface DeliveryRowDb {
  id: string;
  webhook_id: string;
  type: string;
  position: number;
  body: string;
  event_recorded_at: string;
  attempts: number;
  state: string;
  last_status: number | null;
  last_error: string | null;
  next_attempt_at: string | null;
  created_at: string;
  delivered_at: string | null;
}

const ENDPOINT_COLUMNS = 'id, url, events, description, secret, enabled, disabled_reason, from_position, created_at, updated_at';
const DELIVERY_COLUMNS =
  'id, webhook_id, type, position, body, event_recorded_at, attempts, state, last_status, last_error, next_attempt_at, created_at, delivered_at';

const endpointOf = (r: EndpointRowDb): Endpoint => ({
  id: r.id,
  url: r.url,
  events: JSON.parse(r.events) as WebhookEventType[],
  description: r.description,
  secret: r.secret,
  enabled: Number(r.enabled) === 1,
  disabledReason: r.disabled_reason,
  fromPosition: Number(r.from_position),
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

const deliveryOf = (r: DeliveryRowDb): Delivery => ({
  id: r.id,
  webhookId: r.webhook_id,
  type: r.type as WebhookEventType,
  position: Number(r.position),
  body: r.body,
  eventRecordedAt: r.event_recorded_at,
  attempts: Number(r.attempts),
  state: r.state as DeliveryState,
  lastStatus: r.last_status === null ? null : Number(r.last_status),
  lastError: r.last_error,
  nextAttemptAt: r.next_attempt_at,
  createdAt: r.created_at,
  deliveredAt: r.delivered_at,
});

/** A pending delivery and when its next attempt is due (which names that attempt's job). */
export interface DueDelivery {
  id: string;
  nextAttemptAt: string;
}

/** A delivery to add to the outbox. */
export interface NewDelivery {
  id: string;
  webhookId: string;
  type: WebhookEventType;
  position: number;
  body: string;
  eventRecordedAt: string;
}

/**
 * Endpoints and the delivery outbox. Reads go through the read connection; every write goes
 * through EventStore.transaction (the one writer path), so they serialise with appends.
 */
export class WebhookStore {
  constructor(
    private readonly store: EventStore,
    private readonly ds: DataSource,
  ) {}

  async createEndpoint(e: Endpoint): Promise<void> {
    await this.store.transaction(async (tx) => {
      await tx.run(`INSERT INTO webhooks (${ENDPOINT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, [
        e.id, e.url, JSON.stringify(e.events), e.description, e.secret, e.enabled ? 1 : 0, e.disabledReason, e.fromPosition, e.createdAt, e.updatedAt,
      ]);
    });
  }

  async endpoints(): Promise<Endpoint[]> {
    const rows: EndpointRowDb[] = await this.ds.query(`SELECT ${ENDPOINT_COLUMNS} FROM webhooks ORDER BY created_at, id`);
    return rows.map(endpointOf);
  }

  async endpoint(id: string): Promise<Endpoint | null> {
    const rows: EndpointRowDb[] = await this.ds.query(`SELECT ${ENDPOINT_COLUMNS} FROM webhooks WHERE id = ?`, [id]);
    return rows[0] ? endpointOf(rows[0]) : null;
  }

  async updateEndpoint(id: string, patch: { url?: string; events?: WebhookEventType[]; enabled?: boolean; disabledReason?: string | null }, at: string): Promise<void> {
    const sets: string[] = ['updated_at = ?'];
    const params: unknown[] = [at];
    if (patch.url !== undefined) (sets.push('url = ?'), params.push(patch.url));
    if (patch.events !== undefined) (sets.push('events = ?'), params.push(JSON.stringify(patch.events)));
    if (patch.enabled !== undefined) (sets.push('enabled = ?'), params.push(patch.enabled ? 1 : 0));
    if (patch.disabledReason !== undefined) (sets.push('disabled_reason = ?'), params.push(patch.disabledReason));
    await this.store.transaction(async (tx) => {
      await tx.run(`UPDATE webhooks SET ${sets.join(', ')} WHERE id = ?`, [...params, id]);
    });
  }

  /** Deletes the endpoint and its deliveries; false when there was none. */
  async deleteEndpoint(id: string): Promise<boolean> {
    return this.store.transaction(async (tx) => {
      await tx.run('DELETE FROM webhook_deliveries WHERE webhook_id = ?', [id]);
      return (await tx.run('DELETE FROM webhooks WHERE id = ?', [id])).changes > 0;
    });
  }

  /**
   * Adds deliveries (an id already there is left as it is: a second dispatcher, or a replay of the
   * same page, adds nothing) and moves the dispatcher's checkpoint, in one transaction. Returns
   * the deliveries actually added (due `now`).
   */
  async addDeliveries(rows: NewDelivery[], checkpointName: string, position: number, now: string): Promise<DueDelivery[]> {
    return this.store.transaction(async (tx) => {
      const added: DueDelivery[] = [];
      for (const r of rows) {
        const res = await tx.run(
          `INSERT INTO webhook_deliveries (${DELIVERY_COLUMNS}, lease_until) VALUES (?, ?, ?, ?, ?, ?, 0, 'pending', NULL, NULL, ?, ?, NULL, NULL)
           ON CONFLICT (id) DO NOTHING`,
          [r.id, r.webhookId, r.type, r.position, r.body, r.eventRecordedAt, now, now],
        );
        if (res.changes > 0) added.push({ id: r.id, nextAttemptAt: now });
      }
      await tx.run(
        `INSERT INTO checkpoints (name, position, updated_at) VALUES (?, ?, ?)
         ON CONFLICT (name) DO UPDATE SET updated_at = excluded.updated_at,
           position = CASE WHEN excluded.position > checkpoints.position THEN excluded.position ELSE checkpoints.position END`,
        [checkpointName, position, now],
      );
      return added;
    });
  }

  async checkpoint(name: string): Promise<number> {
    const rows: Array<{ position: number }> = await this.ds.query('SELECT position FROM checkpoints WHERE name = ?', [name]);
    return rows[0] ? Number(rows[0].position) : 0;
  }

  async delivery(id: string): Promise<Delivery | null> {
    const rows: DeliveryRowDb[] = await this.ds.query(`SELECT ${DELIVERY_COLUMNS} FROM webhook_deliveries WHERE id = ?`, [id]);
    return rows[0] ? deliveryOf(rows[0]) : null;
  }

  /** An endpoint's deliveries, newest event first, keyset-paginated by position (then id). */
  async deliveries(webhookId: string, before: { position: number; id: string } | null, limit: number): Promise<Delivery[]> {
    const rows: DeliveryRowDb[] = before
      ? await this.ds.query(
          `SELECT ${DELIVERY_COLUMNS} FROM webhook_deliveries WHERE webhook_id = ? AND (position < ? OR (position = ? AND id < ?))
           ORDER BY position DESC, id DESC LIMIT ?`,
          [webhookId, before.position, before.position, before.id, limit],
        )
      : await this.ds.query(`SELECT ${DELIVERY_COLUMNS} FROM webhook_deliveries WHERE webhook_id = ? ORDER BY position DESC, id DESC LIMIT ?`, [webhookId, limit]);
    return rows.map(deliveryOf);
  }

  /** Pending deliveries of enabled endpoints whose attempt is due and not leased, oldest event first. */
  async due(now: string, limit: number): Promise<DueDelivery[]> {
    const rows: Array<{ id: string; next_attempt_at: string }> = await this.ds.query(
      `SELECT d.id, d.next_attempt_at FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id
       WHERE d.state = 'pending' AND w.enabled = 1 AND d.next_attempt_at <= ? AND (d.lease_until IS NULL OR d.lease_until < ?)
       ORDER BY d.next_attempt_at, d.position LIMIT ?`,
      [now, now, limit],
    );
    return rows.map((r) => ({ id: r.id, nextAttemptAt: r.next_attempt_at }));
  }

  /** When the next pending delivery of an enabled endpoint falls due (null: none). */
  async nextDue(): Promise<string | null> {
    const rows: Array<{ at: string | null }> = await this.ds.query(
      `SELECT MIN(d.next_attempt_at) AS at FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id WHERE d.state = 'pending' AND w.enabled = 1`,
    );
    return rows[0]?.at ?? null;
  }

  /**
   * Takes the delivery for one attempt: only a pending, unleased one (one attempt in flight,
   * whichever process or worker asks). Returns it with its endpoint, or null.
   */
  async lease(id: string, now: string, until: string): Promise<{ delivery: Delivery; endpoint: Endpoint } | null> {
    const taken = await this.store.transaction(async (tx) => {
      const res = await tx.run(
        `UPDATE webhook_deliveries SET lease_until = ? WHERE id = ? AND state = 'pending' AND (lease_until IS NULL OR lease_until < ?)
           AND webhook_id IN (SELECT id FROM webhooks WHERE enabled = 1)`,
        [until, id, now],
      );
      return res.changes > 0;
    });
    if (!taken) return null;
    const delivery = await this.delivery(id);
    const endpoint = delivery ? await this.endpoint(delivery.webhookId) : null;
    return delivery && endpoint ? { delivery, endpoint } : null;
  }

  /**
   * BullMQ mode: the delivery and its endpoint in one read, if the attempt named by `due` (its
   * job) is still the one to make: pending, due at that time, the endpoint enabled. BullMQ runs
   * one job id once at a time, and the job id is the attempt, so no lease is written.
   */
  async attemptDue(due: DueDelivery): Promise<{ delivery: Delivery; endpoint: Endpoint } | null> {
    const delivery = await this.delivery(due.id);
    if (!delivery || delivery.state !== 'pending' || delivery.nextAttemptAt !== due.nextAttemptAt) return null;
    const endpoint = await this.endpoint(delivery.webhookId);
    return endpoint && endpoint.enabled ? { delivery, endpoint } : null;
  }

  /** Records an attempt's outcome; `ifDueAt`: only if the row still waits for that attempt (a redelivery meanwhile wins). */
  async recordAttempt(
    id: string,
    outcome: { state: DeliveryState; attempts: number; lastStatus: number | null; lastError: string | null; nextAttemptAt: string | null; deliveredAt: string | null },
    disable?: { webhookId: string; reason: string; at: string },
    ifDueAt?: string,
  ): Promise<void> {
    await this.store.transaction(async (tx) => {
      await tx.run(
        `UPDATE webhook_deliveries SET state = ?, attempts = ?, last_status = ?, last_error = ?, next_attempt_at = ?, delivered_at = ?, lease_until = NULL
         WHERE id = ?${ifDueAt ? ` AND state = 'pending' AND next_attempt_at = ?` : ''}`,
        [outcome.state, outcome.attempts, outcome.lastStatus, outcome.lastError, outcome.nextAttemptAt, outcome.deliveredAt, id, ...(ifDueAt ? [ifDueAt] : [])],
      );
      if (disable) {
        await tx.run('UPDATE webhooks SET enabled = 0, disabled_reason = ?, updated_at = ? WHERE id = ?', [disable.reason, disable.at, disable.webhookId]);
      }
    });
  }

  /** Makes a delivery pending again, due now, with a fresh round of attempts; false when there is none. */
  async redeliver(webhookId: string, id: string, now: string): Promise<boolean> {
    return this.store.transaction(async (tx) => {
      const res = await tx.run(
        `UPDATE webhook_deliveries SET state = 'pending', attempts = 0, next_attempt_at = ?, lease_until = NULL WHERE id = ? AND webhook_id = ?`,
        [now, id, webhookId],
      );
      return res.changes > 0;
    });
  }
}
