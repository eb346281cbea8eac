import { Controller, Get, Headers, HttpCode, Param, Post, Query, Req, Res } from '@nestjs/common';
import { ApiAcceptedResponse, ApiBody, ApiConsumes, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Readable } from 'node:stream';
import { CheckerOnly, ReadAccess, type Principal } from '../auth/roles';
import { ApiAccess, ApiProblems } from '../common/http/openapi';
import { actorOf } from '../common/http/request-context';
import { RequestValidationError } from '../common/http/request-validation.error';
import { assertUuid } from '../common/http/validation';
import { ImportListQueryDto, ImportQueryDto } from './import.dto';
import { ImportAcceptedSchema, ImportListSchema, ImportViewSchema } from './import.schema';
import { ImportsService } from './imports.service';
import { IMPORT_CONTENT_TYPES } from './upload';

@ApiTags('imports')
@Controller('api/imports')
export class ImportsController {
  constructor(private readonly imports: ImportsService) {}

  @Post()
  @CheckerOnly()
  @HttpCode(202)
  @ApiOperation({
    summary: 'Import a file of reports: an ACLED export, an ACLED deletions file, or NDJSON (checker)',
    description: 'The body is streamed to disk (up to IMPORT_MAX_BYTES) with its SHA-256; a job imports it. Follow it at the Location.',
  })
  @ApiConsumes(...IMPORT_CONTENT_TYPES)
  @ApiBody({ required: true, description: 'The file, as is (CSV: an ACLED export or deletions file; NDJSON: one report a line)', schema: { type: 'string' } })
  @ApiAccess('checker')
  @ApiAcceptedResponse({ type: ImportAcceptedSchema, headers: { Location: { description: 'The import', schema: { type: 'string' } } } })
  @ApiProblems(400, 413, 415)
  async upload(
    @Query() query: ImportQueryDto,
    @Req() req: FastifyRequest & { principal?: Principal },
    @Headers('content-length') length: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<ImportAcceptedSchema> {
    const body = req.body as Readable | undefined;
    if (!body || typeof body.pipe !== 'function') {
      throw RequestValidationError.field('Content-Type', `send the file as ${IMPORT_CONTENT_TYPES.join(' or ')}`, 415);
    }
    const declared = length !== undefined && /^\d{1,16}$/.test(length) ? Number(length) : null;
    const answer = await this.imports.upload(body, declared, query, actorOf(req.principal));
    reply.header('location', `/api/imports/${answer.importId}`);
    return answer;
  }

  @Get()
  @ReadAccess()
  @ApiOperation({ summary: 'The imports, newest first (without their per-line errors)' })
  @ApiAccess('read')
  @ApiOkResponse({ type: ImportListSchema })
  @ApiProblems(400)
  list(@Query() query: ImportListQueryDto): Promise<ImportListSchema> {
    return this.imports.list(query.limit ?? 50, query.cursor);
  }

  @Get(':id')
  @ReadAccess()
  @ApiOperation({ summary: 'One import: state, live counts, the first 1000 per-line errors, the file\'s SHA-256' })
  @ApiAccess('read')
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiOkResponse({ type: ImportViewSchema })
  @ApiProblems(400, 404)
  view(@Param('id') id: string): Promise<ImportViewSchema> {
    return this.imports.view(assertUuid(id, 'id'));
  }
}
