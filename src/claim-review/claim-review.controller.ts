import { ApiExtraModels, ApiOkResponse, ApiOperation, ApiParam, ApiProduces, ApiResponse, ApiTags, getSchemaPath } from '@nestjs/swagger';
import { Controller, Get, Param, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { ApiAccess, ApiProblems } from '../common/http/openapi';
import { ProblemSchema } from '../common/http/schemas';
import { assertUuid } from '../common/http/validation';
import { ReadAccess } from '../auth/roles';
import { NotRatedError } from '../domain/errors';
import { ClaimReviewSchema } from './claim-review.schema';
import { ClaimReviewService } from './claim-review.service';

@ApiExtraModels(ClaimReviewSchema)
@ApiTags('claims')
@Controller('api/claims')
export class ClaimReviewController {
  constructor(private readonly reviews: ClaimReviewService) {}

  /** schema.org ClaimReview JSON-LD; 409 "Not yet rated" while the claim is unverified. */
  @Get(':id/claim-review')
  @ReadAccess()
  @ApiOperation({
    summary: 'schema.org ClaimReview JSON-LD for a rated claim',
    description: "With a published editor's review: its rating, explanation (reviewBody) and date. Without: the machine verdict, 409 (Not yet rated) while unverified; with REVIEW_REQUIRED=true, 409 until a review is published.",
  })
  @ApiAccess('read')
  @ApiParam({ name: 'id', format: 'uuid', description: 'Claim id' })
  @ApiProduces('application/ld+json')
  @ApiOkResponse({ description: 'ClaimReview', content: { 'application/ld+json': { schema: { $ref: getSchemaPath(ClaimReviewSchema) } } } })
  @ApiResponse({ status: 409, description: 'Not yet rated: no verdict to publish', content: { 'application/problem+json': { schema: { $ref: getSchemaPath(ProblemSchema) } } } })
  @ApiProblems(400, 404)
  async claimReview(@Param('id') rawId: string, @Res({ passthrough: true }) reply: FastifyReply): Promise<string> {
    const id = assertUuid(rawId, 'id');
    const { outcome, version } = await this.reviews.review(id);
    if (!outcome.review) throw new NotRatedError(outcome.notRated);
    reply.header('content-type', 'application/ld+json; charset=utf-8');
    reply.header('etag', `"${version}"`);
    return JSON.stringify(outcome.review);
  }
}
