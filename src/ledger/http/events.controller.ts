import { ApiOkResponse, ApiOperation, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { Controller, Get, Query } from '@nestjs/common';
import { IsInt, IsOptional, Min } from 'class-validator';
import { ApiAccess, ApiProblems } from '../../common/http/openapi';
import { DecimalInt, LimitQueryDto } from '../../common/http/dto';
import { ReadAccess } from '../../auth/roles';
import { LedgerReader } from '../ledger-reader';
import { EventPageSchema } from './event.schema';

export class EventsQueryDto extends LimitQueryDto {
  @IsOptional()
  @DecimalInt()
  @IsInt({ message: 'after must be a whole number (a position)' })
  @Min(0, { message: 'after must be 0 or more' })
  @ApiPropertyOptional({ type: 'integer', minimum: 0, default: 0, description: 'Events after this position (nextCursor of the previous page)' })
  after?: number;
}

@ApiTags('ledger')
@Controller('api/events')
export class EventsController {
  constructor(private readonly reader: LedgerReader) {}

  /** The global feed, oldest first: everything needed to recompute the chain. */
  @Get()
  @ReadAccess()
  @ApiOperation({ summary: 'The global feed, oldest first', description: 'Everything needed to recompute the hash chain without the service.' })
  @ApiAccess('read')
  @ApiOkResponse({ type: EventPageSchema })
  @ApiProblems(400)
  async feed(@Query() query: EventsQueryDto): Promise<EventPageSchema> {
    const limit = query.limit ?? 50;
    const items = await this.reader.readAfter(query.after ?? 0, limit);
    const last = items[items.length - 1];
    // nextCursor is the `after` to ask for next; null once the head is reached.
    return { items, nextCursor: items.length === limit && last ? String(last.position) : null };
  }
}
