import { ApiProperty } from '@nestjs/swagger';
import { EX } from '../common/http/examples';
import { ROLES, type Role } from '../domain/types';

/** An API key as GET /api/api-keys lists it (ApiKeysService's ApiKeyView is this type). */
export class ApiKeyViewSchema {
  @ApiProperty({ format: 'uuid', example: EX.apiKeyId })
  id!: string;

  @ApiProperty({ example: 'newsroom desk' })
  name!: string;

  @ApiProperty({ enum: ROLES, example: 'checker' })
  role!: Role;

  @ApiProperty({ example: '2022-03-30T08:00:00.000Z' })
  createdAt!: string;

  @ApiProperty({ type: String, nullable: true, example: null })
  revokedAt!: string | null;
}

/** POST /api/api-keys: the new key, in its answer only. */
export class ApiKeyCreatedSchema {
  @ApiProperty({ format: 'uuid', example: EX.apiKeyId })
  id!: string;

  @ApiProperty({ example: 'newsroom desk' })
  name!: string;

  @ApiProperty({ enum: ROLES, example: 'checker' })
  role!: Role;

  @ApiProperty({
    type: String,
    nullable: true,
    example: 'clk_5b0e9f471a2c4d6e8f3b9c7a0d1e2f35_Xq0v…',
    description: 'The key, shown this once (only its hash is stored); null when an Idempotency-Key replay answers',
  })
  key!: string | null;

  @ApiProperty({ example: '2022-03-30T08:00:00.000Z' })
  createdAt!: string;
}

export class ApiKeyListSchema {
  @ApiProperty({ type: () => [ApiKeyViewSchema] })
  items!: ApiKeyViewSchema[];
}
