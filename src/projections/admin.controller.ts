import { ApiAcceptedResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Controller, HttpCode, Post } from '@nestjs/common';
import { ApiAccess } from '../common/http/openapi';
import { AdminOnly } from '../auth/roles';
import { ProjectionRebuilder } from './projection-rebuilder';
import { RebuildAcceptedSchema } from './rebuild-accepted.schema';

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
  rebuild(): RebuildAcceptedSchema {
    const alreadyRunning = this.rebuilder.running;
    void this.rebuilder.rebuild().catch(() => undefined);
    return { status: alreadyRunning ? 'already-running' : 'started' };
  }
}
