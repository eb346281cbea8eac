import { Module, OnModuleInit } from '@nestjs/common';
import { EventStore } from '../ledger/event-store';
import { readModelProjectors } from './index';
import { ProjectionRebuilder } from './projection-rebuilder';
import { ProjectionsAdminController } from './admin.controller';

/** Registers the inline read models with the event store (they run in every append's transaction). */
@Module({
  controllers: [ProjectionsAdminController],
  providers: [ProjectionRebuilder],
  exports: [ProjectionRebuilder],
})
export class ProjectionsModule implements OnModuleInit {
  constructor(private readonly store: EventStore) {}

  onModuleInit(): void {
    for (const projector of readModelProjectors()) this.store.registerProjector(projector);
  }
}
