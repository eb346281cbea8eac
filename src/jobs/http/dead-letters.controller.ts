import { ApiAcceptedResponse, ApiOkResponse, ApiOperation, ApiParam, ApiResponse, ApiTags, getSchemaPath } from '@nestjs/swagger';
import { Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { AdminOnly } from '../../auth/roles';
import { ApiAccess, ApiProblems } from '../../common/http/openapi';
import { problem } from '../../common/http/problem';
import { ProblemSchema } from '../../common/http/schemas';
import { RequestValidationError } from '../../common/http/request-validation.error';
import { DeadLetterQueryDto } from './dead-letter.dto';
import { DeadLetterPageSchema, DeadLetterSchema } from './dead-letter.schema';
import { DeadLettersService } from './dead-letters.service';

/** A job id as job-plan.ts makes them: `<queue>_<hash12>_<position>`. */
const JOB_ID = /^[a-z-]{1,40}_[0-9a-f]{12}_\d{1,15}$/;
const EXAMPLE_ID = 'evidence-attach_9b3f1c0e7a52_42';

/** Verification jobs that failed all their attempts (docs/operations.md, "Dead letters"), admin only. */
@ApiTags('admin')
@ApiAccess('admin')
@Controller('api/admin/dead-letters')
@AdminOnly()
export class DeadLettersController {
  constructor(private readonly deadLetters: DeadLettersService) {}

  @Get()
  @ApiOperation({
    summary: 'List dead letters (admin): jobs that failed all their attempts, lowest log position first',
    description: 'The dispatcher has moved past them; each waits for an admin to retry it once its cause is fixed.',
  })
  @ApiOkResponse({ type: DeadLetterPageSchema })
  @ApiProblems(400)
  list(@Query() q: DeadLetterQueryDto): Promise<DeadLetterPageSchema> {
    return this.deadLetters.list(q.state ?? 'all', q.limit ?? 50, q.cursor);
  }

  @Post(':id/retry')
  @HttpCode(202)
  @ApiOperation({
    summary: 'Retry a dead letter (admin): its job goes back to work under the same job id',
    description:
      'Answers 202 with the dead letter in state `retrying`; it becomes `resolved` when the job completes, or `dead` again ' +
      '(attempts added) when it fails all its attempts once more. The same job id and idempotent handlers mean a retry never ' +
      'attaches a piece twice. Retrying one already being retried answers it again; a resolved one is 409.',
  })
  @ApiParam({ name: 'id', example: EXAMPLE_ID, schema: { type: 'string', pattern: JOB_ID.source }, description: 'The dead letter id (its job id)' })
  @ApiAcceptedResponse({ type: DeadLetterSchema })
  @ApiProblems(400, 404, 503)
  @ApiResponse({
    status: 409,
    description: 'The dead letter is resolved: a retry already completed its job',
    content: {
      'application/problem+json': {
        schema: { $ref: getSchemaPath(ProblemSchema) },
        example: problem(409, `dead letter ${EXAMPLE_ID} is resolved: a retry already completed it`, {
          errors: [{ field: 'id', message: `dead letter ${EXAMPLE_ID} is resolved: a retry already completed it` }],
        }),
      },
    },
  })
  retry(@Param('id') id: string): Promise<DeadLetterSchema> {
    if (!JOB_ID.test(id)) throw RequestValidationError.field('id', 'id must be a dead letter id (<queue>_<hash12>_<position>)');
    return this.deadLetters.retry(id);
  }
}
