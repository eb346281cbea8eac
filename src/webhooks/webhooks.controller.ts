import { ApiAcceptedResponse, ApiBody, ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { AdminOnly } from '../auth/roles';
import { ApiAccess, ApiProblems, ApiWriteProblems } from '../common/http/openapi';
import { RequestValidationError } from '../common/http/request-validation.error';
import { assertUuid } from '../common/http/validation';
import { CreateWebhookDto, DeliveriesQueryDto, UpdateWebhookDto } from './webhook.dto';
import { DeliveryPageSchema, RedeliveryAcceptedSchema, WebhookCreatedSchema, WebhookListSchema, WebhookSchema } from './webhook.schema';
import { WebhooksService } from './webhooks.service';

const DELIVERY_ID = /^msg_\d{1,15}_[0-9a-f]{20}$/;

/** Webhook endpoints and their deliveries (WORKFLOW.md), admin only. */
@ApiTags('webhooks')
@ApiAccess('admin')
@Controller('api/webhooks')
@AdminOnly()
export class WebhooksController {
  constructor(private readonly webhooks: WebhooksService) {}

  @Post()
  @HttpCode(201)
  @ApiOperation({ summary: 'Register a webhook endpoint (admin)', description: 'The secret (whsec_…) is in this answer only. Deliveries are signed per Standard Webhooks.' })
  @ApiBody({ type: CreateWebhookDto })
  @ApiCreatedResponse({ type: WebhookCreatedSchema })
  @ApiWriteProblems()
  create(@Body() dto: CreateWebhookDto): Promise<WebhookCreatedSchema> {
    return this.webhooks.create(dto);
  }

  @Get()
  @ApiOperation({ summary: 'List webhook endpoints (admin); never the secrets' })
  @ApiOkResponse({ type: WebhookListSchema })
  async list(): Promise<WebhookListSchema> {
    return { items: await this.webhooks.list() };
  }

  @Patch(':id')
  @ApiOperation({ summary: 'Change an endpoint: enabled, events, url (admin)' })
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiOkResponse({ type: WebhookSchema })
  @ApiWriteProblems()
  @ApiProblems(404)
  update(@Param('id') id: string, @Body() dto: UpdateWebhookDto): Promise<WebhookSchema> {
    return this.webhooks.update(assertUuid(id, 'id'), dto);
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete an endpoint and its deliveries (admin)' })
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiNoContentResponse({ description: 'Deleted' })
  @ApiProblems(400, 404)
  async remove(@Param('id') id: string): Promise<void> {
    await this.webhooks.remove(assertUuid(id, 'id'));
  }

  @Get(':id/deliveries')
  @ApiOperation({ summary: "An endpoint's deliveries, newest event first (admin)" })
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiOkResponse({ type: DeliveryPageSchema })
  @ApiProblems(400, 404)
  deliveries(@Param('id') id: string, @Query() q: DeliveriesQueryDto): Promise<DeliveryPageSchema> {
    return this.webhooks.deliveries(assertUuid(id, 'id'), q.limit ?? 50, q.cursor);
  }

  @Post(':id/deliveries/:did/redeliver')
  @HttpCode(202)
  @ApiOperation({ summary: 'Deliver again (admin): pending now, a fresh round of attempts, the same webhook-id' })
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiParam({ name: 'did', schema: { type: 'string', pattern: DELIVERY_ID.source }, example: 'msg_42_3f9a0c1d2e4b5a6c7d8e' })
  @ApiAcceptedResponse({ type: RedeliveryAcceptedSchema })
  @ApiProblems(400, 404)
  redeliver(@Param('id') id: string, @Param('did') did: string): Promise<RedeliveryAcceptedSchema> {
    if (!DELIVERY_ID.test(did)) throw RequestValidationError.field('did', 'did must be a delivery id (msg_…)');
    return this.webhooks.redeliver(assertUuid(id, 'id'), did);
  }
}
