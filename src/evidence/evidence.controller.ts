import { ApiAcceptedResponse, ApiBody, ApiHeader, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { Body, Controller, Get, Headers, HttpCode, Param, Post, Req, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { CheckerOnly, ReadAccess } from '../auth/roles';
import { EVIDENCE_EXAMPLE, EX, REPORT_EXAMPLE } from '../common/http/examples';
import { ApiAccess, ApiIdempotent, ApiProblems, ApiWriteProblems, IF_MATCH_SCHEMA } from '../common/http/openapi';
import { requestMetadata } from '../common/http/request-context';
import { RequestValidationError } from '../common/http/request-validation.error';
import { assertUuid } from '../common/http/validation';
import { idempotencyRecord, type IdempotentRequest } from '../ledger/http/idempotency.guard';
import { EvidenceAcceptedSchema } from './evidence-accepted.schema';
import { EvidenceViewSchema } from './evidence-view.schema';
import { EvidenceDto, ReportDto, RetractDto } from './evidence.dto';
import { EvidenceService } from './evidence.service';

/** `If-Match: "<version>"` (a weak W/ prefix is tolerated); absent → null. */
export function parseIfMatch(header: string | undefined): number | null {
  if (header === undefined) return null;
  const m = /^\s*(?:W\/)?"(\d{1,15})"\s*$/.exec(header);
  if (!m) throw RequestValidationError.field('If-Match', 'If-Match must be a version ETag such as "3"');
  return Number(m[1]);
}

@ApiTags('evidence')
@Controller('api')
export class EvidenceController {
  constructor(private readonly evidence: EvidenceService) {}

  @Post('claims/:id/evidence')
  @CheckerOnly()
  @HttpCode(202)
  @ApiOperation({ summary: 'Evidence for one claim, with a stance (checker)', description: 'Appends EvidenceSubmitted; a job attaches it to the claim and recomputes the status.' })
  @ApiAccess('checker')
  @ApiParam({ name: 'id', format: 'uuid', description: 'Claim id' })
  @ApiHeader({ name: 'If-Match', required: false, schema: IF_MATCH_SCHEMA, description: 'The claim version you looked at (its ETag); 412 if it has moved on', example: '"1"' })
  @ApiBody({ type: EvidenceDto, examples: { shelling: { summary: 'Heavy shelling near Chernihiv after the pledge', value: EVIDENCE_EXAMPLE } } })
  @ApiAcceptedResponse({ type: EvidenceAcceptedSchema, headers: { Location: { description: 'The evidence', schema: { type: 'string', example: `/api/evidence/${EX.evidenceId}` } } } })
  @ApiProblems(404, 412)
  @ApiIdempotent()
  @ApiWriteProblems()
  async submitForClaim(
    @Param('id') id: string,
    @Body() dto: EvidenceDto,
    @Headers('if-match') ifMatch: string | undefined,
    @Req() req: IdempotentRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<EvidenceAcceptedSchema> {
    const claimId = assertUuid(id, 'id');
    const answer = await this.evidence.submitForClaim(claimId, dto, parseIfMatch(ifMatch), requestMetadata(req), (respond) =>
      idempotencyRecord(req, respond),
    );
    reply.header('location', `/api/evidence/${answer.evidenceId}`);
    return answer;
  }

  @Post('reports')
  @CheckerOnly()
  @HttpCode(202)
  @ApiOperation({ summary: 'A field report: evidence without a stance (checker)', description: 'A job attaches it to every pledge whose scope it matches.' })
  @ApiAccess('checker')
  @ApiBody({ type: ReportDto, examples: { report: { summary: 'Shelling on the outskirts of Chernihiv', value: REPORT_EXAMPLE } } })
  @ApiAcceptedResponse({ type: EvidenceAcceptedSchema, headers: { Location: { description: 'The evidence', schema: { type: 'string', example: `/api/evidence/${EX.evidenceId}` } } } })
  @ApiIdempotent()
  @ApiWriteProblems()
  async submitReport(@Body() dto: ReportDto, @Req() req: IdempotentRequest, @Res({ passthrough: true }) reply: FastifyReply): Promise<EvidenceAcceptedSchema> {
    const answer = await this.evidence.submitReport(dto, requestMetadata(req), (respond) => idempotencyRecord(req, respond));
    reply.header('location', `/api/evidence/${answer.evidenceId}`);
    return answer;
  }

  @Post('evidence/:id/retract')
  @CheckerOnly()
  @HttpCode(202)
  @ApiOperation({ summary: 'Retract evidence (checker)', description: 'Appends EvidenceRetracted; a job detaches it everywhere and recomputes. 409 if already retracted.' })
  @ApiAccess('checker')
  @ApiParam({ name: 'id', format: 'uuid', description: 'Evidence id' })
  @ApiAcceptedResponse({ type: EvidenceAcceptedSchema })
  @ApiProblems(404)
  @ApiIdempotent()
  @ApiWriteProblems()
  retract(@Param('id') id: string, @Body() dto: RetractDto, @Req() req: IdempotentRequest): Promise<EvidenceAcceptedSchema> {
    return this.evidence.retract(assertUuid(id, 'id'), dto.reason, requestMetadata(req), (respond) => idempotencyRecord(req, respond));
  }

  @Get('evidence/:id')
  @ReadAccess()
  @ApiOperation({ summary: 'Evidence, its retraction if any, and where it is attached' })
  @ApiAccess('read')
  @ApiParam({ name: 'id', format: 'uuid', description: 'Evidence id' })
  @ApiOkResponse({ type: EvidenceViewSchema })
  @ApiProblems(400, 404)
  view(@Param('id') id: string): Promise<EvidenceViewSchema> {
    return this.evidence.view(assertUuid(id, 'id'));
  }
}
