import { ApiExcludeEndpoint, ApiOkResponse, ApiOperation, ApiParam, ApiProduces, ApiResponse, ApiTags } from '@nestjs/swagger';
import { Controller, Get, Header, Param, Query, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { Public, ReadAccess } from '../auth/roles';
import { NotFoundError } from '../domain/errors';
import { ApiAccess, ApiProblems } from '../common/http/openapi';
import { assertUuid } from '../common/http/validation';
import { ClaimViewQueryDto } from '../claims/claim.dto';
import { claimStreamId, evidenceStreamId, type EvidenceSubmittedData } from '../domain/events';
import { LedgerReader } from '../ledger/ledger-reader';
import { DashboardAssets } from './dashboard-assets';
import { buildTimeline, buildWorldSeries } from './timeline';
import { TimelineSchema } from './timeline.schema';
import { foldEvidence } from '../domain/evidence.decider';

/**
 * The dashboard: one static page (GET /) with its script and stylesheet, no build step. The page
 * itself is public; the data it shows comes from the API with the reader's key when reads are
 * not public.
 */
@ApiTags('dashboard')
@Controller()
export class DashboardController {
  constructor(
    private readonly assets: DashboardAssets,
    private readonly reader: LedgerReader,
  ) {}

  @Get()
  @Public()
  @ApiOperation({ summary: 'The dashboard page (public; it reads the API with your key unless PUBLIC_READ)' })
  @ApiProduces('text/html')
  @ApiOkResponse({ description: 'HTML', content: { 'text/html': { schema: { type: 'string' } } } })
  @ApiResponse({ status: 304, description: 'Not modified: If-None-Match names the page as it is' })
  page(@Res() reply: FastifyReply): void {
    this.assets.send(reply, 'index.html');
  }

  @Get('dashboard/:asset')
  @Public()
  @ApiExcludeEndpoint()
  @ApiOperation({ summary: "The dashboard's script and stylesheet" })
  @ApiParam({ name: 'asset', example: 'app.js' })
  @ApiOkResponse({ description: 'The file' })
  @ApiProblems(404)
  asset(@Param('asset') name: string, @Res() reply: FastifyReply): void {
    this.assets.send(reply, name);
  }

  /**
   * Dashboard helper (not in the v1 contract): support and contradiction weight after every
   * event of a claim's stream, with the status changes, for the timeline chart. `?asOf=` cuts
   * at recorded time like GET /api/claims/:id.
   */
  @Get('api/claims/:id/timeline')
  @ReadAccess()
  @ApiTags('claims')
  @Header('cache-control', 'no-cache')
  @ApiOperation({ summary: 'Dashboard helper: support and contradiction after every event of a claim (not in the v1 contract)' })
  @ApiAccess('read')
  @ApiParam({ name: 'id', format: 'uuid', description: 'Claim id' })
  @ApiOkResponse({ type: TimelineSchema })
  @ApiProblems(400, 404)
  async timeline(@Param('id') rawId: string, @Query() query: ClaimViewQueryDto): Promise<TimelineSchema> {
    const id = assertUuid(rawId, 'id');
    const cut = query.asOf ? new Date(query.asOf).toISOString() : undefined;
    const events = await this.reader.readStream(claimStreamId(id), { recordedAtOrBefore: cut });
    if (events.length === 0) {
      throw new NotFoundError(query.asOf ? `claim ${id} was not recorded yet at ${query.asOf}` : `no claim with id ${id}`, 'id');
    }
    const ids = [
      ...new Set(events.flatMap((e) => (e.type === 'EvidenceAttached' ? [e.data.evidenceId] : []))),
    ];
    const streams = await this.reader.readStreams(ids.map(evidenceStreamId));
    const evidence = new Map<string, EvidenceSubmittedData>();
    for (const eid of ids) {
      const submitted = foldEvidence(streams.get(evidenceStreamId(eid)) ?? []).evidence;
      if (submitted) evidence.set(eid, submitted);
    }
    return { claimId: id, asOf: cut ?? null, points: buildTimeline(events, evidence), world: buildWorldSeries(events, evidence) };
  }
}
