import { Body, Controller, Delete, Get, HttpCode, Param, Post, Req } from '@nestjs/common';
import { IsIn } from 'class-validator';
import { IsText, assertUuid } from '../common/validation';
import { ApiKeysService } from './api-keys.service';
import { AdminOnly, ROLES, type Role } from './roles';
import { IdempotencyService } from '../common/idempotency.service';
import type { IdempotentRequest } from '../common/idempotency.interceptor';

export class CreateApiKeyDto {
  @IsText(1, 100)
  name!: string;

  @IsIn(ROLES as Role[], { message: `role must be one of ${ROLES.join(', ')}` })
  role!: Role;
}

@Controller('api/api-keys')
@AdminOnly()
export class ApiKeysController {
  constructor(
    private readonly keys: ApiKeysService,
    private readonly idempotency: IdempotencyService,
  ) {}

  @Post()
  @HttpCode(201)
  async create(@Body() dto: CreateApiKeyDto, @Req() req: IdempotentRequest) {
    // The plain key is never stored, so a replay answers with the same id but key: null.
    const created = await this.keys.create(dto.name.trim(), dto.role, (tx, view) =>
      this.idempotency.guardIn(tx, req, () => ({ status: 201, body: { ...view, key: null }, headers: {} })),
    );
    return { id: created.id, name: created.name, role: created.role, key: created.key, createdAt: created.createdAt };
  }

  @Get()
  list() {
    return this.keys.list().then((items) => ({ items }));
  }

  @Delete(':id')
  @HttpCode(204)
  async revoke(@Param('id') id: string): Promise<void> {
    await this.keys.revoke(assertUuid(id, 'id'));
  }
}
