import { ApiAcceptedResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiAccess } from '../ops/openapi/decorators';
import { RebuildAcceptedSchema } from '../ops/openapi/schemas';
import { Controller, HttpCode, Post } from '@nestjs/common';
import { AdminOnly } from '../auth/roles';
import { ProjectionRebuilder } from './projection-rebuilder';

@ApiTags('admin')
@Controller('api/admin/projections')
export class ProjectionsAdminController {
  constructor(private readonly rebuilder: ProjectionRebuilder) {}

  /** 202 at once; the rebuild runs in the background (progress in the logs). */
  @Post('rebuild')
  @AdminOnly()
  @HttpCode(202)
  @ApiOperation({ summary: 'Rebuild the read models from the log (admin)', description: 'Answers 202 at once; the rebuild runs in the background.' })
  @ApiAccess('admin')
  @ApiAcceptedResponse({ type: RebuildAcceptedSchema })
  rebuild() {
    const alreadyRunning = this.rebuilder.running;
    void this.rebuilder.rebuild().catch(() => undefined);
    return { status: alreadyRunning ? 'already-running' : 'started' };
  }
}
