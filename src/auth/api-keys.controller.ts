import { ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiParam, ApiProperty, ApiTags } from '@nestjs/swagger';
import { Body, Controller, Delete, Get, HttpCode, Param, Post, Req } from '@nestjs/common';
import { IsIn } from 'class-validator';
import { ApiAccess, ApiIdempotent, ApiProblems, ApiWriteProblems } from '../common/http/openapi';
import { IsText, assertUuid } from '../common/http/validation';
import { IdempotencyService } from '../ledger/http/idempotency.service';
import type { IdempotentRequest } from '../ledger/http/idempotency.guard';
import { ApiKeyCreatedSchema, ApiKeyListSchema } from './api-key.schema';
import { ApiKeysService } from './api-keys.service';
import { AdminOnly, ROLES, type Role } from './roles';

export class CreateApiKeyDto {
  @IsText(1, 100)
  @ApiProperty({ type: String, minLength: 1, maxLength: 100, example: 'newsroom desk' })
  name!: string;

  @IsIn(ROLES as Role[], { message: `role must be one of ${ROLES.join(', ')}` })
  @ApiProperty({ enum: ROLES, example: 'checker' })
  role!: Role;
}

@ApiTags('api-keys')
@ApiAccess('admin')
@Controller('api/api-keys')
@AdminOnly()
export class ApiKeysController {
  constructor(
    private readonly keys: ApiKeysService,
    private readonly idempotency: IdempotencyService,
  ) {}

  @Post()
  @HttpCode(201)
  @ApiOperation({ summary: 'Create an API key (admin)', description: 'The key is in the answer this once; only its hash is stored.' })
  @ApiCreatedResponse({ type: ApiKeyCreatedSchema })
  @ApiIdempotent()
  @ApiWriteProblems()
  async create(@Body() dto: CreateApiKeyDto, @Req() req: IdempotentRequest): Promise<ApiKeyCreatedSchema> {
    // The plain key is never stored, so a replay answers with the same id but key: null.
    const created = await this.keys.create(dto.name.trim(), dto.role, (tx, view) =>
      this.idempotency.guardIn(tx, req, () => {
        const replayed: ApiKeyCreatedSchema = { id: view.id, name: view.name, role: view.role, key: null, createdAt: view.createdAt };
        return { status: 201, body: replayed, headers: {} };
      }),
    );
    return { id: created.id, name: created.name, role: created.role, key: created.key, createdAt: created.createdAt };
  }

  @Get()
  @ApiOperation({ summary: 'List API keys (admin): names, roles, dates; never the keys' })
  @ApiOkResponse({ type: ApiKeyListSchema })
  list(): Promise<ApiKeyListSchema> {
    return this.keys.list().then((items) => ({ items }));
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Revoke an API key (admin); it stops working at once' })
  @ApiParam({ name: 'id', format: 'uuid', description: 'API key id' })
  @ApiNoContentResponse({ description: 'Revoked (or already revoked)' })
  @ApiProblems(400, 404)
  async revoke(@Param('id') id: string): Promise<void> {
    await this.keys.revoke(assertUuid(id, 'id'));
  }
}
