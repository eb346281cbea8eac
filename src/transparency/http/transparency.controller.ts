import { ApiBody, ApiConsumes, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiParam, ApiProduces, ApiTags } from '@nestjs/swagger';
import { Body, Controller, Get, HttpCode, Param, Post, Query, Req, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { ApiAccess, ApiIdempotent, ApiProblems, ApiWriteProblems } from '../../common/http/openapi';
import { assertUuid } from '../../common/http/validation';
import { AdminOnly, Public, ReadAccess } from '../../auth/roles';
import { InvalidCommandError } from '../../domain/errors';
import { IdempotencyService } from '../../ledger/http/idempotency.service';
import type { IdempotentRequest } from '../../ledger/http/idempotency.guard';
import { TransparencyService } from '../transparency.service';
import {
  CHECKPOINT_EXAMPLE,
  COSIGNATURE_LINE_EXAMPLE,
  ClaimProofSchema,
  ConsistencyProofSchema,
  CosignatureAcceptedSchema,
  InclusionProofSchema,
  LOG_VKEY_EXAMPLE,
  WitnessListSchema,
  WitnessSchema,
} from '../transparency.schema';
import { CheckpointQueryDto, ConsistencyQueryDto, InclusionQueryDto, RegisterWitnessDto } from './transparency.dto';

const TEXT = 'text/plain; charset=utf-8';

/** Signed checkpoints, proofs and witnesses (docs/transparency.md; contract TRANSPARENCY.md). */
@ApiTags('transparency')
@Controller('api')
export class TransparencyController {
  constructor(
    private readonly transparency: TransparencyService,
    private readonly idempotency: IdempotencyService,
  ) {}

  @Get('checkpoint')
  @ReadAccess()
  @ApiOperation({
    summary: 'The latest signed checkpoint (or the one at ?size=), with its cosignatures',
    description: 'A C2SP tlog-checkpoint signed as a C2SP signed-note (Ed25519), followed by every witness cosignature line (tlog-cosignature v1) it has. 404 when none was signed at that size.',
  })
  @ApiAccess('read')
  @ApiProduces('text/plain')
  @ApiOkResponse({ description: 'The signed note', content: { 'text/plain': { schema: { type: 'string' }, example: CHECKPOINT_EXAMPLE + COSIGNATURE_LINE_EXAMPLE } } })
  @ApiProblems(400, 404)
  async checkpoint(@Query() query: CheckpointQueryDto, @Res({ passthrough: true }) reply: FastifyReply): Promise<string> {
    const { checkpoint, text } = await this.transparency.checkpoint(query.size);
    // Last-Modified: when the log signed it (the note itself carries no time).
    reply.header('content-type', TEXT).header('cache-control', 'no-store').header('last-modified', new Date(checkpoint.signedAt).toUTCString());
    return text;
  }

  @Post('checkpoint')
  @AdminOnly()
  @HttpCode(200)
  @ApiOperation({ summary: 'Sign a checkpoint now if the log has grown (admin)', description: 'Answers the latest signed checkpoint, new or not.' })
  @ApiAccess('admin')
  @ApiProduces('text/plain')
  @ApiOkResponse({ description: 'The latest signed checkpoint', content: { 'text/plain': { schema: { type: 'string' }, example: CHECKPOINT_EXAMPLE } } })
  @ApiProblems(404, 503)
  async signNow(@Res({ passthrough: true }) reply: FastifyReply): Promise<string> {
    await this.transparency.signer.signIfGrown();
    reply.header('content-type', TEXT);
    return this.transparency.checkpointText();
  }

  @Get('checkpoint/key')
  @Public()
  @ApiOperation({ summary: "The log's verifier key (C2SP vkey)", description: '<origin>+<8 hex key ID>+<base64(0x01 ‖ Ed25519 public key)>' })
  @ApiAccess('public')
  @ApiProduces('text/plain')
  @ApiOkResponse({ description: 'The vkey', content: { 'text/plain': { schema: { type: 'string' }, example: LOG_VKEY_EXAMPLE } } })
  key(@Res({ passthrough: true }) reply: FastifyReply): string {
    reply.header('content-type', TEXT);
    return `${this.transparency.signer.key.vkey}\n`;
  }

  @Post('checkpoint/cosignatures')
  @Public()
  @HttpCode(201)
  @ApiOperation({
    summary: "Submit a witness's cosignature of a checkpoint this log signed",
    description:
      'Body (text/plain): the checkpoint with one cosignature line (tlog-cosignature v1) of a registered witness. 201 when it verifies over a checkpoint this log signed (again: 201, kept once); 400 for anything else in the body; 403 for no registered witness or a signature that does not verify.',
  })
  @ApiAccess('public')
  @ApiConsumes('text/plain')
  @ApiBody({ schema: { type: 'string', example: CHECKPOINT_EXAMPLE + COSIGNATURE_LINE_EXAMPLE } })
  @ApiCreatedResponse({ type: CosignatureAcceptedSchema })
  @ApiIdempotent()
  @ApiProblems(400, 403, 413, 415)
  async cosign(@Body() body: unknown, @Req() req: IdempotentRequest): Promise<CosignatureAcceptedSchema> {
    if (typeof body !== 'string') throw new InvalidCommandError('send the checkpoint with its cosignature line as text/plain', 'body');
    return this.transparency.addCosignature(body, (tx, accepted) => this.idempotency.guardIn(tx, req, () => ({ status: 201, body: accepted, headers: {} })));
  }

  @Post('witnesses')
  @AdminOnly()
  @HttpCode(201)
  @ApiOperation({ summary: 'Register a witness (admin)', description: 'Its cosignatures are then accepted. The same name and key again: 201; the name with another key: 409.' })
  @ApiAccess('admin')
  @ApiCreatedResponse({ type: WitnessSchema })
  @ApiIdempotent()
  @ApiWriteProblems()
  async registerWitness(@Body() dto: RegisterWitnessDto, @Req() req: IdempotentRequest): Promise<WitnessSchema> {
    return this.transparency.registerWitness(dto.name, dto.vkey, (tx, view) => this.idempotency.guardIn(tx, req, () => ({ status: 201, body: view, headers: {} })));
  }

  @Get('witnesses')
  @ReadAccess()
  @ApiOperation({ summary: 'The registered witnesses' })
  @ApiAccess('read')
  @ApiOkResponse({ type: WitnessListSchema })
  async witnesses(): Promise<WitnessListSchema> {
    return { items: await this.transparency.witnesses() };
  }

  @Get('proofs/inclusion')
  @ReadAccess()
  @ApiOperation({ summary: 'Inclusion proof of the event at a position in the tree of a size (RFC 9162 §2.1.3)', description: '400 unless 1 ≤ position ≤ size ≤ head. O(log n) reads of stored subtree hashes.' })
  @ApiAccess('read')
  @ApiOkResponse({ type: InclusionProofSchema })
  @ApiProblems(400)
  inclusion(@Query() q: InclusionQueryDto): Promise<InclusionProofSchema> {
    return this.transparency.inclusion(q.position, q.size);
  }

  @Get('proofs/consistency')
  @ReadAccess()
  @ApiOperation({ summary: 'Consistency proof between two tree sizes (RFC 9162 §2.1.4)', description: '400 unless 1 ≤ from ≤ to ≤ head.' })
  @ApiAccess('read')
  @ApiOkResponse({ type: ConsistencyProofSchema })
  @ApiProblems(400)
  consistency(@Query() q: ConsistencyQueryDto): Promise<ConsistencyProofSchema> {
    return this.transparency.consistency(q.from, q.to);
  }

  @Get('claims/:id/proof')
  @ReadAccess()
  @ApiOperation({
    summary: "A claim's verdict with its inclusion proof and signed checkpoint",
    description: "The claim's latest VerificationStatusChanged (as the feed gives it), its inclusion proof in the latest signed checkpoint's tree, and that checkpoint: enough to check the verdict with nothing else downloaded. 409 while the claim has no verdict.",
  })
  @ApiAccess('read')
  @ApiParam({ name: 'id', format: 'uuid', description: 'Claim id' })
  @ApiOkResponse({ type: ClaimProofSchema })
  @ApiProblems(400, 404, 409)
  claimProof(@Param('id') id: string): Promise<ClaimProofSchema> {
    return this.transparency.claimProof(assertUuid(id, 'id')) as Promise<ClaimProofSchema>;
  }
}
