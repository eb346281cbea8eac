import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, ArrayMinSize, ArrayUnique, IsArray, IsBoolean, IsIn, IsOptional, IsString, MaxLength } from 'class-validator';
import { LimitQueryDto } from '../common/http/dto';
import { IsText } from '../common/http/validation';
import { WEBHOOK_EVENT_TYPES, type WebhookEventType } from './webhook-events';

const EVENTS_MESSAGE = `events must list event types among ${WEBHOOK_EVENT_TYPES.join(', ')}`;

export class CreateWebhookDto {
  @IsString({ message: 'url must be a string' })
  @MaxLength(2000, { message: 'url must be at most 2000 characters' })
  @ApiProperty({ example: 'https://cms.example.org/hooks/claim-ledger', description: 'http(s); must not resolve to a loopback, private or link-local address unless WEBHOOK_ALLOW_PRIVATE=true' })
  url!: string;

  @IsArray({ message: EVENTS_MESSAGE })
  @ArrayMinSize(1, { message: 'events must name at least one event type' })
  @ArrayMaxSize(WEBHOOK_EVENT_TYPES.length, { message: EVENTS_MESSAGE })
  @ArrayUnique({ message: 'events must not repeat an event type' })
  @IsIn(WEBHOOK_EVENT_TYPES as unknown as string[], { each: true, message: EVENTS_MESSAGE })
  @ApiProperty({ enum: WEBHOOK_EVENT_TYPES, isArray: true, example: ['claim.status_changed', 'review.published'] })
  events!: WebhookEventType[];

  @IsOptional()
  @IsText(1, 500)
  @ApiPropertyOptional({ example: 'CMS: refresh the fact-check page' })
  description?: string;
}

export class UpdateWebhookDto {
  @IsOptional()
  @IsBoolean({ message: 'enabled must be true or false' })
  @ApiPropertyOptional({ example: true, description: 'true re-enables an endpoint disabled by 410 Gone' })
  enabled?: boolean;

  @IsOptional()
  @IsArray({ message: EVENTS_MESSAGE })
  @ArrayMinSize(1, { message: 'events must name at least one event type' })
  @ArrayMaxSize(WEBHOOK_EVENT_TYPES.length, { message: EVENTS_MESSAGE })
  @ArrayUnique({ message: 'events must not repeat an event type' })
  @IsIn(WEBHOOK_EVENT_TYPES as unknown as string[], { each: true, message: EVENTS_MESSAGE })
  @ApiPropertyOptional({ enum: WEBHOOK_EVENT_TYPES, isArray: true })
  events?: WebhookEventType[];

  @IsOptional()
  @IsString({ message: 'url must be a string' })
  @MaxLength(2000, { message: 'url must be at most 2000 characters' })
  @ApiPropertyOptional({ example: 'https://cms.example.org/hooks/claim-ledger' })
  url?: string;
}

export class DeliveriesQueryDto extends LimitQueryDto {
  @IsOptional()
  @IsString()
  @MaxLength(200)
  @ApiPropertyOptional({ type: String, description: 'nextCursor of the previous page' })
  cursor?: string;
}
