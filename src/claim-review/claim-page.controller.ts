import { ApiOkResponse, ApiOperation, ApiParam, ApiProduces, ApiResponse, ApiTags, getSchemaPath } from '@nestjs/swagger';
import { Controller, Get, Inject, Param, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ReadAccess } from '../auth/roles';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { ApiAccess } from '../common/http/openapi';
import { toProblem } from '../common/http/problem.filter';
import { ProblemSchema } from '../common/http/schemas';
import { assertUuid } from '../common/http/validation';
import { claimPageUrl } from './claim-review';
import { ClaimReviewService } from './claim-review.service';
import { CLAIM_PAGE_CSP, renderClaimPage, renderErrorPage } from './claim-page.html';
import { prefersHtml } from './accept';

const HTML_OR_PROBLEM = {
  'text/html': { schema: { type: 'string' } },
  'application/problem+json': { schema: { $ref: getSchemaPath(ProblemSchema) } },
};

/**
 * GET /claims/:id: the claim's public page, server-rendered (readable without JavaScript), with
 * the ClaimReview embedded as JSON-LD. Access as GET /api/claims/:id/claim-review: a viewer key,
 * or anyone with PUBLIC_READ=true (what a publisher runs with).
 */
@ApiTags('claims')
@Controller('claims')
export class ClaimPageController {
  constructor(
    private readonly reviews: ClaimReviewService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @Get(':id')
  @ReadAccess()
  @ApiOperation({
    summary: "A claim's public page (HTML) with its ClaimReview embedded as application/ld+json",
    description:
      'Server-rendered, readable without JavaScript: the claim, its speaker, status with its reasons, the evidence, and the proof numbers (the verdict event, its hash, the signed checkpoint). While the claim is rated, the page embeds the ClaimReview of GET /api/claims/:id/claim-review as a script element of type application/ld+json. 400/404 as an HTML page for a browser, problem+json when Accept prefers JSON.',
  })
  @ApiAccess('read')
  @ApiParam({ name: 'id', format: 'uuid', description: 'Claim id' })
  @ApiProduces('text/html')
  @ApiOkResponse({ description: 'The page', content: { 'text/html': { schema: { type: 'string' } } } })
  @ApiResponse({ status: 400, description: 'The id is not a UUID', content: HTML_OR_PROBLEM })
  @ApiResponse({ status: 404, description: 'No claim with this id', content: HTML_OR_PROBLEM })
  async page(@Param('id') rawId: string, @Req() req: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    let html: string;
    try {
      const id = assertUuid(rawId, 'id');
      const { view, outcome } = await this.reviews.page(id);
      html = renderClaimPage({
        view,
        review: outcome.review,
        notRated: outcome.notRated,
        pageUrl: claimPageUrl(this.config.publicBaseUrl, id),
        reviewJsonUrl: `${this.config.publicBaseUrl}/api/claims/${id}/claim-review`,
        orgName: this.config.orgName,
        orgUrl: this.config.orgUrl,
      });
    } catch (err) {
      // A browser gets an error page; an API client (Accept: JSON) the usual problem+json.
      const { problem } = toProblem(err);
      if ((problem.status !== 400 && problem.status !== 404) || !prefersHtml(req.headers.accept)) throw err;
      this.sendHtml(reply, problem.status, renderErrorPage(problem.status, problem.title, problem.detail));
      return;
    }
    this.sendHtml(reply, 200, html);
  }

  private sendHtml(reply: FastifyReply, status: number, html: string): void {
    reply
      .status(status)
      .header('content-type', 'text/html; charset=utf-8')
      .header('cache-control', 'no-cache')
      .header('content-security-policy', CLAIM_PAGE_CSP)
      .header('x-content-type-options', 'nosniff')
      .header('referrer-policy', 'no-referrer')
      .header('vary', 'Accept')
      .send(html);
  }
}
