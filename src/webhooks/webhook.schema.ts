import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { WEBHOOK_EVENT_TYPES, type WebhookEventType } from './webhook-events';

/* Answers of /api/webhooks (webhooks.controller.ts), built in webhooks.service.ts. */

export class WebhookSchema {
  @ApiProperty({ format: 'uuid', example: '6f1c2b7e-4a57-4d2e-9a43-0d6b3b5f8a10' })
  id!: string;

  @ApiProperty({ example: 'https://cms.example.org/hooks/claim-ledger' })
  url!: string;

  @ApiProperty({ enum: WEBHOOK_EVENT_TYPES, isArray: true, example: ['claim.status_changed'] })
  events!: WebhookEventType[];

  @ApiProperty({ type: String, nullable: true, example: 'CMS' })
  description!: string | null;

  @ApiProperty({ example: true })
  enabled!: boolean;

  @ApiProperty({ type: String, nullable: true, example: null, description: 'Why it was disabled (410 Gone)' })
  disabledReason!: string | null;

  @ApiProperty({ example: '2026-12-01T06:00:00.000Z' })
  createdAt!: string;

  @ApiProperty({ example: '2026-12-01T06:00:00.000Z' })
  updatedAt!: string;
}

export class WebhookCreatedSchema extends WebhookSchema {
  @ApiProperty({ example: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', description: 'Shown this once: never in any later answer or log line' })
  secret!: string;
}

export class WebhookListSchema {
  @ApiProperty({ type: () => [WebhookSchema] })
  items!: WebhookSchema[];
}

export class DeliverySchema {
  @ApiProperty({ example: 'msg_42_3f9a0c1d2e4b5a6c7d8e', description: 'Also the webhook-id header of every attempt' })
  id!: string;

  @ApiProperty({ enum: WEBHOOK_EVENT_TYPES, example: 'claim.status_changed' })
  type!: WebhookEventType;

  @ApiProperty({ example: 42, description: 'Position of the log event it carries' })
  position!: number;

  @ApiProperty({ example: 1 })
  attempts!: number;

  @ApiProperty({ enum: ['pending', 'delivered', 'failed'], example: 'delivered' })
  state!: 'pending' | 'delivered' | 'failed';

  @ApiProperty({ type: 'integer', nullable: true, example: 200 })
  lastStatus!: number | null;

  @ApiProperty({ type: String, nullable: true, example: null })
  lastError!: string | null;

  @ApiProperty({ type: String, format: 'date-time', nullable: true, example: null })
  nextAttemptAt!: string | null;

  @ApiPropertyOptional({ type: String, format: 'date-time', nullable: true, example: '2026-12-01T06:00:00.120Z' })
  deliveredAt?: string | null;
}

export class DeliveryPageSchema {
  @ApiProperty({ type: () => [DeliverySchema], description: 'Newest event first' })
  items!: DeliverySchema[];

  @ApiProperty({ type: String, nullable: true, example: null })
  nextCursor!: string | null;
}

export class RedeliveryAcceptedSchema {
  @ApiProperty({ example: 'msg_42_3f9a0c1d2e4b5a6c7d8e' })
  id!: string;

  @ApiProperty({ enum: ['pending'], example: 'pending' })
  state!: 'pending';
}
