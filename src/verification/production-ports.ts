import type { DataSource } from 'typeorm';
import type { EventStore } from '../ledger/event-store';
import type { LedgerReader } from '../ledger/ledger-reader';
import { claimsAttachedTo, evidenceDataByIds, unretractedReports, unretractedReportsByIds } from '../projections/evidence/queries';
import { allPledgeScopes, candidatePledgeScopes, pledgeScopeOf } from '../projections/pledge-scopes/queries';
import { candidateReportIds } from '../projections/report-index/queries';
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
      candidatesFor: (report) => candidatePledgeScopes(ds, report),
    },
    evidence: {
      reports: () => unretractedReports(ds),
      candidateReports: async (scope) => {
        const ids = await candidateReportIds(ds, scope);
        // A scope place too large for the grid: every report is a candidate.
        return ids === null ? unretractedReports(ds) : unretractedReportsByIds(ds, ids);
      },
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
