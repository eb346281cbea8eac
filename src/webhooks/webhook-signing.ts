import { createHash, randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';

/** A new endpoint secret, as Standard Webhooks writes them: `whsec_` + base64 of 32 random bytes. */
export function newWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString('base64')}`;
}

/**
 * The delivery id, also the `webhook-id` header: deterministic for one event and one endpoint, so
 * every retry, a second dispatcher and a redelivery carry the same id.
 */
export function deliveryIdOf(webhookId: string, eventHash: string, position: number): string {
  return `msg_${position}_${createHash('sha256').update(`${webhookId}:${eventHash}`).digest('hex').slice(0, 20)}`;
}

/** Standard Webhooks headers for one attempt: id, unix-seconds timestamp, `v1,<base64 HMAC-SHA256>`. */
export function signedHeaders(secret: string, deliveryId: string, body: string, at: Date): Record<string, string> {
  const timestamp = new Date(Math.floor(at.getTime() / 1000) * 1000);
  return {
    'webhook-id': deliveryId,
    'webhook-timestamp': String(Math.floor(timestamp.getTime() / 1000)),
    'webhook-signature': new Webhook(secret).sign(deliveryId, timestamp, body),
  };
}
