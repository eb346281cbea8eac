import { ApiProperty } from '@nestjs/swagger';

/** POST /api/admin/projections/rebuild: whether this call started the rebuild. */
export class RebuildAcceptedSchema {
  @ApiProperty({ enum: ['started', 'already-running'], example: 'started' })
  status!: 'started' | 'already-running';
}
