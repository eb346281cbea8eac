import { Body, Controller, Get, Headers, HttpCode, Param, Post, Req, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { CheckerOnly, ReadAccess } from '../auth/roles';
import { idempotencyRecord, type IdempotentRequest } from '../common/idempotency.interceptor';
import { requestMetadata } from '../common/request-context';
import { RequestValidationError } from '../common/request-validation.error';
import { assertUuid } from '../common/validation';
import { EvidenceDto, ReportDto, RetractDto } from './evidence.dto';
import { EvidenceService } from './evidence.service';

/** `If-Match: "<version>"` (a weak W/ prefix is tolerated); absent → null. */
export function parseIfMatch(header: string | undefined): number | null {
  if (header === undefined) return null;
  const m = /^\s*(?:W\/)?"(\d{1,15})"\s*$/.exec(header);
  if (!m) throw RequestValidationError.field('If-Match', 'If-Match must be a version ETag such as "3"');
  return Number(m[1]);
}

@Controller('api')
export class EvidenceController {
  constructor(private readonly evidence: EvidenceService) {}

  @Post('claims/:id/evidence')
  @CheckerOnly()
  @HttpCode(202)
  async submitForClaim(
    @Param('id') id: string,
    @Body() dto: EvidenceDto,
    @Headers('if-match') ifMatch: string | undefined,
    @Req() req: IdempotentRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
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
  async submitReport(@Body() dto: ReportDto, @Req() req: IdempotentRequest, @Res({ passthrough: true }) reply: FastifyReply) {
    const answer = await this.evidence.submitReport(dto, requestMetadata(req), (respond) => idempotencyRecord(req, respond));
    reply.header('location', `/api/evidence/${answer.evidenceId}`);
    return answer;
  }

  @Post('evidence/:id/retract')
  @CheckerOnly()
  @HttpCode(202)
  retract(@Param('id') id: string, @Body() dto: RetractDto, @Req() req: IdempotentRequest) {
    return this.evidence.retract(assertUuid(id, 'id'), dto.reason, requestMetadata(req), (respond) => idempotencyRecord(req, respond));
  }

  @Get('evidence/:id')
  @ReadAccess()
  view(@Param('id') id: string) {
    return this.evidence.view(assertUuid(id, 'id'));
  }
}
