import { Module, OnModuleInit } from '@nestjs/common';
import { EventStore } from '../ledger/event-store';
import { ReadModelProjector } from './claims.projector';
import { ProjectionRebuilder } from './projection-rebuilder';
import { ProjectionsAdminController } from './admin.controller';

/** Registers the inline read models with the event store (they run in every append's transaction). */
@Module({
  controllers: [ProjectionsAdminController],
  providers: [ReadModelProjector, ProjectionRebuilder],
  exports: [ReadModelProjector, ProjectionRebuilder],
})
export class ProjectionsModule implements OnModuleInit {
  constructor(
    private readonly store: EventStore,
    private readonly projector: ReadModelProjector,
  ) {}

  onModuleInit(): void {
    this.store.registerProjector(this.projector);
  }
}
