import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsInt, IsOptional, IsString, Matches, MaxLength, Min } from 'class-validator';
import { DecimalInt } from '../../common/http/dto';
import { WITNESS_VKEY_EXAMPLE } from '../transparency.schema';

const Whole = (field: string) => [DecimalInt(), IsInt({ message: `${field} must be a whole number` }), Min(1, { message: `${field} must be 1 or more` })];
const apply = (decorators: PropertyDecorator[]): PropertyDecorator => (target, key) => decorators.forEach((d) => d(target, key));

export class CheckpointQueryDto {
  @IsOptional()
  @apply([DecimalInt(), IsInt({ message: 'size must be a whole number' }), Min(0, { message: 'size must be 0 or more' })])
  @ApiPropertyOptional({ type: 'integer', minimum: 0, description: 'The checkpoint signed at this tree size (default: the latest)' })
  size?: number;
}

export class InclusionQueryDto {
  @apply(Whole('position'))
  @ApiProperty({ type: 'integer', minimum: 1, example: 3, description: 'Event position' })
  position!: number;

  @apply(Whole('size'))
  @ApiProperty({ type: 'integer', minimum: 1, example: 7, description: 'Tree size (position ≤ size ≤ head)' })
  size!: number;
}

export class ConsistencyQueryDto {
  @apply(Whole('from'))
  @ApiProperty({ type: 'integer', minimum: 1, example: 4 })
  from!: number;

  @apply(Whole('to'))
  @ApiProperty({ type: 'integer', minimum: 1, example: 7, description: 'from ≤ to ≤ head' })
  to!: number;
}

export class RegisterWitnessDto {
  @IsString({ message: 'name must be a string' })
  @Matches(/^[^\s+]{1,200}$/u, { message: "name must be a key name: 1..200 characters, no spaces, no '+'" })
  @ApiProperty({ example: 'witness.example/w1' })
  name!: string;

  @IsString({ message: 'vkey must be a string' })
  @MaxLength(400, { message: 'vkey must be at most 400 characters' })
  @ApiProperty({ example: WITNESS_VKEY_EXAMPLE, description: 'C2SP vkey of a cosignature/v1 key: <name>+<8 hex key ID>+<base64(0x04 ‖ 32-byte Ed25519 key)>' })
  vkey!: string;
}
