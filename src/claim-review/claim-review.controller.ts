import { ApiExtraModels, ApiOkResponse, ApiOperation, ApiParam, ApiProduces, ApiResponse, ApiTags, getSchemaPath } from '@nestjs/swagger';
import { Controller, Get, Inject, Param, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { ApiAccess, ApiProblems } from '../common/http/openapi';
import { ProblemSchema } from '../common/http/schemas';
import { assertUuid } from '../common/http/validation';
import { ReadAccess } from '../auth/roles';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { NotFoundError, NotRatedError } from '../domain/errors';
import { claimStreamId, type StoredEvent, type StoredEventOf } from '../domain/events';
import { LedgerReader } from '../ledger/ledger-reader';
import { buildClaimReview } from './claim-review';
import { ClaimReviewSchema } from './claim-review.schema';

const isStatusChange = (e: StoredEvent): e is StoredEventOf<'VerificationStatusChanged'> => e.type === 'VerificationStatusChanged';

@ApiExtraModels(ClaimReviewSchema)
@ApiTags('claims')
@Controller('api/claims')
export class ClaimReviewController {
  constructor(
    private readonly reader: LedgerReader,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** schema.org ClaimReview JSON-LD; 409 "Not yet rated" while the claim is unverified. */
  @Get(':id/claim-review')
  @ReadAccess()
  @ApiOperation({ summary: 'schema.org ClaimReview JSON-LD for a rated claim', description: '409 (Not yet rated) while the claim is unverified.' })
  @ApiAccess('read')
  @ApiParam({ name: 'id', format: 'uuid', description: 'Claim id' })
  @ApiProduces('application/ld+json')
  @ApiOkResponse({ description: 'ClaimReview', content: { 'application/ld+json': { schema: { $ref: getSchemaPath(ClaimReviewSchema) } } } })
  @ApiResponse({ status: 409, description: 'Not yet rated: no verdict to publish', content: { 'application/problem+json': { schema: { $ref: getSchemaPath(ProblemSchema) } } } })
  @ApiProblems(400, 404)
  async claimReview(@Param('id') rawId: string, @Res({ passthrough: true }) reply: FastifyReply): Promise<string> {
    const id = assertUuid(rawId, 'id');
    const events = await this.reader.readStream(claimStreamId(id));
    const recorded = events[0];
    if (!recorded || recorded.type !== 'ClaimRecorded') throw new NotFoundError(`no claim with id ${id}`, 'id');
    const verdictEvent = [...events].reverse().find(isStatusChange);
    if (!verdictEvent || verdictEvent.data.to === 'unverified') {
      throw new NotRatedError(`claim ${id} is not yet rated: it has no attached, unretracted evidence, so there is no verdict to publish`);
    }
    const review = buildClaimReview({
      claimId: id,
      claim: recorded.data,
      verdictEvent,
      orgName: this.config.orgName,
      orgUrl: this.config.orgUrl,
      publicBaseUrl: this.config.publicBaseUrl,
    });
    reply.header('content-type', 'application/ld+json; charset=utf-8');
    reply.header('etag', `"${events[events.length - 1].streamVersion}"`);
    return JSON.stringify(review);
  }
}
