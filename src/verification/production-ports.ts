import type { DataSource } from 'typeorm';
import type { EventStore } from '../ledger/event-store';
import type { LedgerReader } from '../ledger/ledger-reader';
import { claimsAttachedTo, evidenceDataByIds, unretractedReports } from '../projections/evidence/queries';
import { allPledgeScopes, pledgeScopeOf } from '../projections/pledge-scopes/queries';
import type { VerificationPorts } from './ports';

/**
 * The ports as the service runs them: the read models' own query functions on the read
 * connection, the log through the LedgerReader, appends through the EventStore.
 */
export function productionVerificationPorts(ds: DataSource, reader: LedgerReader, store: EventStore): VerificationPorts {
  return {
    scopes: {
      all: () => allPledgeScopes(ds),
      of: (claimId) => pledgeScopeOf(ds, claimId),
    },
    evidence: {
      reports: () => unretractedReports(ds),
      dataOf: (evidenceIds) => evidenceDataByIds(ds, evidenceIds),
      claimsAttachedTo: (evidenceId) => claimsAttachedTo(ds, evidenceId),
    },
    streams: {
      readStream: (streamId) => reader.readStream(streamId),
      readStreams: (streamIds) => reader.readStreams(streamIds),
    },
    appender: { append: (request) => store.append(request) },
  };
}
