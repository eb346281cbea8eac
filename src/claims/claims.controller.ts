import { ApiBody, ApiCreatedResponse, ApiHeader, ApiOkResponse, ApiOperation, ApiParam, ApiResponse, ApiTags } from '@nestjs/swagger';
import { Body, Controller, Get, Header, Headers, HttpCode, Param, Post, Query, Req, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { CheckerOnly, ReadAccess } from '../auth/roles';
import { defined } from '../common/http/dto';
import { CRIMEA_CLAIM_EXAMPLE, EX, PLEDGE_EXAMPLE } from '../common/http/examples';
import { ApiAccess, ApiIdempotent, ApiProblems, ApiWriteProblems } from '../common/http/openapi';
import { requestMetadata } from '../common/http/request-context';
import { RequestValidationError } from '../common/http/request-validation.error';
import { assertUuid } from '../common/http/validation';
import { ifNoneMatchHits } from '../common/http/conditional';
import type { ClaimRecordedData } from '../domain/events';
import { idempotencyRecord, type IdempotentRequest } from '../ledger/http/idempotency.guard';
import { EventListSchema } from '../ledger/http/event.schema';
import { ClaimCreatedSchema } from './claim-created.schema';
import { ClaimPageSchema } from './claim-list.schema';
import { ClaimViewSchema } from './claim-view.schema';
import { ClaimViewQueryDto, CreateClaimDto, ListClaimsQueryDto } from './claim.dto';
import { ClaimsService } from './claims.service';

@ApiTags('claims')
@Controller('api/claims')
export class ClaimsController {
  constructor(private readonly claims: ClaimsService) {}

  @Post()
  @CheckerOnly()
  @HttpCode(201)
  @ApiOperation({ summary: 'Record a claim or a pledge (checker)', description: 'Appends ClaimRecorded. A pledge with a scope is matched against field reports by a job.' })
  @ApiAccess('checker')
  @ApiBody({ type: CreateClaimDto, examples: { pledge: { summary: 'Medinsky: reduce military activity near Kyiv and Chernihiv', value: PLEDGE_EXAMPLE }, claim: { summary: 'Peskov on Crimea', value: CRIMEA_CLAIM_EXAMPLE } } })
  @ApiCreatedResponse({ type: ClaimCreatedSchema, headers: { Location: { description: 'The claim', schema: { type: 'string', example: `/api/claims/${EX.claimId}` } }, ETag: { description: 'The version, for If-Match', schema: { type: 'string', example: '"1"' } } } })
  @ApiIdempotent()
  @ApiWriteProblems()
  async create(@Body() dto: CreateClaimDto, @Req() req: IdempotentRequest, @Res({ passthrough: true }) reply: FastifyReply): Promise<ClaimCreatedSchema> {
    const { answer, location } = await this.claims.record(toClaimData(dto), requestMetadata(req), (respond) =>
      idempotencyRecord(req, respond),
    );
    reply.header('location', location);
    reply.header('etag', `"${answer.version}"`);
    return answer;
  }

  @Get()
  @ReadAccess()
  @ApiOperation({ summary: 'List claims, newest first (viewer, or public with PUBLIC_READ)', description: 'Filters combine; keyset-paginated with ?cursor=.' })
  @ApiAccess('read')
  @ApiOkResponse({ type: ClaimPageSchema })
  @ApiProblems(400)
  @Header('content-type', 'application/json; charset=utf-8')
  list(@Query() query: ListClaimsQueryDto): Promise<string> {
    // Already JSON text (built without a parse/serialise round trip): sent as it is.
    return this.claims.listJson(query);
  }

  @Get(':id')
  @ReadAccess()
  @ApiOperation({ summary: 'A claim with its evidence, verdict and status history', description: '?asOf= answers as the ledger knew it then.' })
  @ApiAccess('read')
  @ApiParam({ name: 'id', format: 'uuid', description: 'Claim id' })
  @ApiOkResponse({ type: ClaimViewSchema, headers: { ETag: { description: 'The version, for If-Match and If-None-Match', schema: { type: 'string', example: '"4"' } } } })
  @ApiHeader({ name: 'If-None-Match', required: false, description: 'The ETag you hold: 304 with no body while the claim is still at that version', example: '"4"' })
  @ApiResponse({ status: 304, description: 'Not modified: the claim is still at the version named in If-None-Match' })
  @ApiProblems(400, 404)
  async view(
    @Param('id') id: string,
    @Query() query: ClaimViewQueryDto,
    @Headers('if-none-match') ifNoneMatch: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<ClaimViewSchema | undefined> {
    const claimId = assertUuid(id, 'id');
    if (ifNoneMatch && !query.asOf) {
      // A client that holds the current version gets 304 from one version lookup, no fold.
      const etag = `"${await this.claims.exists(claimId)}"`;
      if (ifNoneMatchHits(ifNoneMatch, etag)) {
        reply.header('etag', etag).status(304);
        return undefined;
      }
    }
    const view = await this.claims.view(claimId, query.asOf);
    const etag = `"${view.version}"`;
    reply.header('etag', etag);
    if (ifNoneMatchHits(ifNoneMatch, etag)) {
      reply.status(304);
      return undefined;
    }
    return view;
  }

  @Get(':id/events')
  @ReadAccess()
  @Header('cache-control', 'no-cache')
  @ApiOperation({ summary: "The claim's own event stream, oldest first" })
  @ApiAccess('read')
  @ApiParam({ name: 'id', format: 'uuid', description: 'Claim id' })
  @ApiOkResponse({ type: EventListSchema })
  @ApiProblems(400, 404)
  async events(@Param('id') id: string): Promise<EventListSchema> {
    return { items: await this.claims.events(assertUuid(id, 'id')) };
  }
}

/** The claim as it will be recorded: plain data, no undefined members, topics and scope explicit. */
export function toClaimData(dto: CreateClaimDto): ClaimRecordedData {
  const scope = dto.scope
    ? defined({
        places: dto.scope.places.map((p) => defined({ name: p.name, lat: p.lat, lon: p.lon, radiusKm: p.radiusKm })),
        indicators: [...dto.scope.indicators],
        from: dto.scope.from,
        until: dto.scope.until,
        expectation: dto.scope.expectation,
      })
    : null;
  if (scope) {
    if (scope.until && Date.parse(scope.until) <= Date.parse(scope.from)) {
      throw RequestValidationError.field('scope.until', 'scope.until must be later than scope.from');
    }
    scope.places.forEach((p, i) => {
      if ((p.lat === undefined) !== (p.lon === undefined)) {
        throw RequestValidationError.field(`scope.places[${i}]`, 'give both lat and lon, or neither');
      }
    });
  }
  return {
    kind: dto.kind,
    statement: dto.statement,
    speaker: defined({ name: dto.speaker.name, affiliation: dto.speaker.affiliation }),
    madeAt: dto.madeAt,
    source: defined({ url: dto.source.url, publisher: dto.source.publisher, publishedAt: dto.source.publishedAt }),
    topics: [...(dto.topics ?? [])],
    scope,
  };
}
