import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, Matches } from 'class-validator';
import { LimitQueryDto } from '../../common/http/dto';
import { DEAD_LETTER_STATES, type DeadLetterState } from '../dead-letters';

const STATE_FILTERS = [...DEAD_LETTER_STATES, 'all'] as const;

/** GET /api/admin/dead-letters: which states, one page at a time. */
export class DeadLetterQueryDto extends LimitQueryDto {
  @IsOptional()
  @IsIn(STATE_FILTERS as unknown as string[], { message: `state must be one of ${STATE_FILTERS.join(', ')}` })
  @ApiPropertyOptional({ enum: STATE_FILTERS, default: 'all', description: 'Only dead letters in this state' })
  state?: DeadLetterState | 'all';

  @IsOptional()
  @IsString({ message: 'cursor must be the nextCursor of a previous page' })
  @Matches(/^\d{1,15}:[\w-]{1,200}$/, { message: 'cursor must be the nextCursor of a previous page' })
  @ApiPropertyOptional({ type: String, pattern: '^\\d{1,15}:[\\w-]{1,200}$', description: 'nextCursor of the previous page' })
  cursor?: string;
}
