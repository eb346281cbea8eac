import { idFromStream, type StoredEvent } from '../domain/events';

/** The event types an endpoint can subscribe to (WORKFLOW.md). */
export const WEBHOOK_EVENT_TYPES = [
  'claim.recorded',
  'claim.status_changed',
  'evidence.attached',
  'evidence.retracted',
  'review.published',
  'import.completed',
] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

/** What a webhook delivery carries: `{type, timestamp, data: {..., position, hash}}`. */
export interface WebhookPayload {
  type: WebhookEventType;
  timestamp: string;
  data: Record<string, unknown> & { position: number; hash: string };
}

/** A published review's rating and explanation, looked up from the claim's stream. */
export type ReviewLookup = (claimId: string, reviewId: string) => Promise<{ rating: string; explanation: string } | null>;

/**
 * The webhook event a logged event becomes, or null for events no webhook carries. `position` and
 * `hash` name the log event, so a receiver can check it against GET /api/events.
 */
export async function webhookPayloadOf(event: StoredEvent, review?: ReviewLookup): Promise<WebhookPayload | null> {
  const at = { position: event.position, hash: event.hash };
  const wrap = (type: WebhookEventType, data: Record<string, unknown>): WebhookPayload => ({ type, timestamp: event.recordedAt, data: { ...data, ...at } });
  const id = idFromStream(event.streamId);
  switch (event.type) {
    case 'ClaimRecorded':
      return wrap('claim.recorded', { claimId: id, kind: event.data.kind, statement: event.data.statement, speaker: event.data.speaker.name });
    case 'VerificationStatusChanged': {
      const d = event.data;
      return wrap('claim.status_changed', {
        claimId: id,
        from: d.from,
        to: d.to,
        rule: d.rule,
        ...(d.reason ? { reason: d.reason } : {}),
        support: d.support,
        contradict: d.contradict,
      });
    }
    case 'EvidenceAttached':
      return wrap('evidence.attached', { claimId: id, evidenceId: event.data.evidenceId, stance: event.data.stance, attachedBy: event.data.attachedBy });
    case 'EvidenceRetracted':
      return wrap('evidence.retracted', { evidenceId: id, reason: event.data.reason });
    case 'ReviewPublished': {
      const r = review ? await review(id, event.data.reviewId) : null;
      return wrap('review.published', {
        claimId: id,
        reviewId: event.data.reviewId,
        ...(r ? { rating: r.rating, explanation: r.explanation } : {}),
        ...(event.data.comment !== undefined ? { comment: event.data.comment } : {}),
      });
    }
    case 'ImportCompleted':
      return wrap('import.completed', { importId: event.data.importId, dataset: event.data.dataset, format: event.data.format, counts: event.data.counts });
    default:
      return null;
  }
}

/** Cheap pre-check: could this event become a webhook event at all. */
export function carriesWebhook(event: StoredEvent): boolean {
  return ['ClaimRecorded', 'VerificationStatusChanged', 'EvidenceAttached', 'EvidenceRetracted', 'ReviewPublished', 'ImportCompleted'].includes(event.type);
}
