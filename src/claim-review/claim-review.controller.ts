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
import { foldClaim, publishedReview, reviewOutdated } from '../domain/claim.decider';
import { buildClaimReview } from './claim-review';
import { withTransparencyProof } from './transparency-proof';
import { TransparencyService } from '../transparency/transparency.service';
import { ClaimReviewSchema } from './claim-review.schema';

const isStatusChange = (e: StoredEvent): e is StoredEventOf<'VerificationStatusChanged'> => e.type === 'VerificationStatusChanged';

@ApiExtraModels(ClaimReviewSchema)
@ApiTags('claims')
@Controller('api/claims')
export class ClaimReviewController {
  constructor(
    private readonly reader: LedgerReader,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly transparency: TransparencyService,
  ) {}

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
    const events = await this.reader.readStream(claimStreamId(id));
    const recorded = events[0];
    if (!recorded || recorded.type !== 'ClaimRecorded') throw new NotFoundError(`no claim with id ${id}`, 'id');
    const verdictEvent = [...events].reverse().find(isStatusChange) ?? null;
    // Workflow v1: a published editor's review is what ClaimReview carries; without one, the
    // machine verdict, unless REVIEW_REQUIRED (then 409 until a review is published).
    const state = foldClaim(events);
    const published = publishedReview(state);
    const publishedEvent = published ? events.find((e): e is StoredEventOf<'ReviewPublished'> => e.type === 'ReviewPublished' && e.data.reviewId === published.reviewId) : undefined;
    if (!published || !publishedEvent) {
      if (this.config.reviewRequired) {
        throw new NotRatedError(`claim ${id} has no published review yet (REVIEW_REQUIRED): an editor proposes one and another approves it`);
      }
      if (!verdictEvent || verdictEvent.data.to === 'unverified') {
        throw new NotRatedError(`claim ${id} is not yet rated: it has no attached, unretracted evidence, so there is no verdict to publish`);
      }
    }
    const review = buildClaimReview({
      claimId: id,
      claim: recorded.data,
      verdictEvent,
      review:
        published && publishedEvent
          ? {
              reviewId: published.reviewId,
              rating: published.rating,
              explanation: published.explanation,
              claimVersion: published.claimVersion,
              machineStatus: state.status,
              reviewOutdated: reviewOutdated(state),
              published: publishedEvent,
            }
          : null,
      orgName: this.config.orgName,
      orgUrl: this.config.orgUrl,
      publicBaseUrl: this.config.publicBaseUrl,
    });
    reply.header('content-type', 'application/ld+json; charset=utf-8');
    reply.header('etag', `"${events[events.length - 1].streamVersion}"`);
    // Issue 12: the verdict's place in the signed tree, in our own JSON-LD namespace (transparency-proof.ts).
    if (!verdictEvent) return JSON.stringify(review);
    const cp = await this.transparency.checkpointCovering(verdictEvent.position);
    return JSON.stringify(
      withTransparencyProof(review, {
        position: verdictEvent.position,
        eventHash: verdictEvent.hash,
        checkpoint: cp ? { size: cp.size, rootHash: cp.rootHash, origin: this.transparency.signer.origin } : null,
        proof: `${this.config.publicBaseUrl}/api/claims/${id}/proof`,
        vkey: this.transparency.signer.key.vkey,
        vkeyUrl: `${this.config.publicBaseUrl}/api/checkpoint/key`,
      }),
    );
  }
}
