import { Controller, HttpCode, Post } from '@nestjs/common';
import { AdminOnly } from '../auth/roles';
import { ProjectionRebuilder } from './projection-rebuilder';

@Controller('api/admin/projections')
export class ProjectionsAdminController {
  constructor(private readonly rebuilder: ProjectionRebuilder) {}

  /** 202 at once; the rebuild runs in the background (progress in the logs). */
  @Post('rebuild')
  @AdminOnly()
  @HttpCode(202)
  rebuild() {
    const alreadyRunning = this.rebuilder.running;
    void this.rebuilder.rebuild().catch(() => undefined);
    return { status: alreadyRunning ? 'already-running' : 'started' };
  }
}
