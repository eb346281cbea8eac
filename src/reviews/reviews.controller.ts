import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { Body, Controller, Get, HttpCode, Param, Post, Req } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { EditorOnly, ReadAccess, type Principal } from '../auth/roles';
import { ApiAccess, ApiProblem, ApiProblems, ApiWriteProblems } from '../common/http/openapi';
import { requestMetadata } from '../common/http/request-context';
import { assertUuid } from '../common/http/validation';
import { ApproveReviewDto, ProposeReviewDto, RejectReviewDto } from './review.dto';
import { ReviewDecidedAnswerSchema, ReviewListSchema, ReviewProposedAnswerSchema } from './review.schema';
import { ReviewsService } from './reviews.service';

type Req = FastifyRequest & { principal?: Principal };

/** Editorial reviews of a claim (WORKFLOW.md): propose, approve (two-person rule), reject, list. */
@ApiTags('reviews')
@Controller('api/claims/:id/reviews')
export class ReviewsController {
  constructor(private readonly reviews: ReviewsService) {}

  @Post()
  @EditorOnly()
  @HttpCode(201)
  @ApiOperation({ summary: 'Propose a rating (editor)', description: 'Appends ReviewProposed. 412 when claimVersion is not the claim\'s version.' })
  @ApiAccess('editor')
  @ApiParam({ name: 'id', format: 'uuid', description: 'Claim id' })
  @ApiCreatedResponse({ type: ReviewProposedAnswerSchema })
  @ApiWriteProblems()
  @ApiProblems(404, 412)
  propose(@Param('id') id: string, @Body() dto: ProposeReviewDto, @Req() req: Req): Promise<ReviewProposedAnswerSchema> {
    return this.reviews.propose(assertUuid(id, 'id'), dto, requestMetadata(req));
  }

  @Post(':rid/approve')
  @EditorOnly()
  @HttpCode(200)
  @ApiOperation({
    summary: 'Approve and publish a proposed rating (editor, not the proposer)',
    description: '403 when the approver proposed it (two-person rule); 409 when it is not proposed; 412 when the claim changed since (propose again).',
  })
  @ApiAccess('editor')
  @ApiParam({ name: 'id', format: 'uuid', description: 'Claim id' })
  @ApiParam({ name: 'rid', format: 'uuid', description: 'Review id' })
  @ApiOkResponse({ type: ReviewDecidedAnswerSchema })
  @ApiWriteProblems()
  @ApiProblems(404, 412)
  @ApiProblem(409, 'The review is not proposed (any more): it was approved or rejected, e.g. by a concurrent approval', 'review 6d8df64f-0fe6-41dd-8bd3-90e07d86febf is published, not proposed')
  approve(@Param('id') id: string, @Param('rid') rid: string, @Body() dto: ApproveReviewDto, @Req() req: Req): Promise<ReviewDecidedAnswerSchema> {
    return this.reviews.approve(assertUuid(id, 'id'), assertUuid(rid, 'rid'), dto.comment, requestMetadata(req));
  }

  @Post(':rid/reject')
  @EditorOnly()
  @HttpCode(200)
  @ApiOperation({ summary: 'Reject a proposed rating (editor)', description: '409 when it is not proposed.' })
  @ApiAccess('editor')
  @ApiParam({ name: 'id', format: 'uuid', description: 'Claim id' })
  @ApiParam({ name: 'rid', format: 'uuid', description: 'Review id' })
  @ApiOkResponse({ type: ReviewDecidedAnswerSchema })
  @ApiWriteProblems()
  @ApiProblems(404)
  @ApiProblem(409, 'The review is not proposed (any more): it was approved or rejected', 'review 6d8df64f-0fe6-41dd-8bd3-90e07d86febf is rejected, not proposed')
  reject(@Param('id') id: string, @Param('rid') rid: string, @Body() dto: RejectReviewDto, @Req() req: Req): Promise<ReviewDecidedAnswerSchema> {
    return this.reviews.reject(assertUuid(id, 'id'), assertUuid(rid, 'rid'), dto.comment, requestMetadata(req));
  }

  @Get()
  @ReadAccess()
  @ApiOperation({ summary: "A claim's reviews, newest first" })
  @ApiAccess('read')
  @ApiParam({ name: 'id', format: 'uuid', description: 'Claim id' })
  @ApiOkResponse({ type: ReviewListSchema })
  @ApiProblems(400, 404)
  async list(@Param('id') id: string): Promise<ReviewListSchema> {
    return { items: await this.reviews.list(assertUuid(id, 'id')) };
  }
}
