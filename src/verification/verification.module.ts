import { Module } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { EventStore } from '../ledger/event-store';
import { LedgerReader } from '../ledger/ledger-reader';
import { productionVerificationPorts } from './production-ports';
import { VerificationHandlers } from './verification-handlers';

/** The verification handlers on the production ports (the ledger module provides the connections). */
@Module({
  providers: [
    {
      provide: VerificationHandlers,
      inject: [EventStore, LedgerReader, DataSource, APP_CONFIG],
      useFactory: (store: EventStore, reader: LedgerReader, ds: DataSource, config: AppConfig) =>
        new VerificationHandlers(productionVerificationPorts(ds, reader, store), { pauseBeforeAppendMs: config.jobPauseBeforeAppendMs }, config.clock),
    },
  ],
  exports: [VerificationHandlers],
})
export class VerificationModule {}
