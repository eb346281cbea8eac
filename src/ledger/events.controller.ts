import { Controller, Get, Query } from '@nestjs/common';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, Max, Min } from 'class-validator';
import { ReadAccess } from '../auth/roles';
import { LedgerReader } from './ledger-reader';

export class EventsQueryDto {
  @IsOptional()
  @Type(() => Number)
  @IsInt({ message: 'after must be a whole number (a position)' })
  @Min(0, { message: 'after must be 0 or more' })
  after?: number;

  @IsOptional()
  @Type(() => Number)
  @IsInt({ message: 'limit must be a whole number' })
  @Min(1, { message: 'limit must be between 1 and 500' })
  @Max(500, { message: 'limit must be between 1 and 500' })
  limit?: number;
}

@Controller('api/events')
export class EventsController {
  constructor(private readonly reader: LedgerReader) {}

  /** The global feed, oldest first: everything needed to recompute the chain. */
  @Get()
  @ReadAccess()
  async feed(@Query() query: EventsQueryDto) {
    const limit = query.limit ?? 50;
    const items = await this.reader.readAfter(query.after ?? 0, limit);
    const last = items[items.length - 1];
    // nextCursor is the `after` to ask for next; null once the head is reached.
    return { items, nextCursor: items.length === limit && last ? String(last.position) : null };
  }
}
