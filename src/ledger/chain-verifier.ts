import { GENESIS_HASH, eventHash } from './hash-chain';
import type { EventRow, LedgerReader } from './ledger-reader';
import type { VerifyReportSchema } from './verify-report.schema';

/** The report of a walk of the chain, as GET /api/ledger/verify answers it. */
export type VerifyReport = VerifyReportSchema;

/** Rows hashed between two turns of the event loop (about 5–10 ms of work). */
const YIELD_EVERY = 1000;

/** Something an observer of the walk found wrong, and the first position it concerns. */
export interface ChainFinding {
  position: number;
  problem: string;
}

/**
 * Checks of what is derived from the chain, fed the walk's pages (e.g. the stored Merkle tree):
 * each page once all its rows have passed the chain check, then the head at the end.
 */
export interface ChainObserver {
  page(rows: readonly EventRow[]): Promise<ChainFinding | null>;
  finish(head: number): Promise<ChainFinding | null>;
}

/**
 * Walks the whole log in keyset pages (never all of it in memory) and recomputes every hash
 * from the stored bytes, so any edited byte, missing row or reordering names its position.
 * Observers (GET /api/ledger/verify passes the stored Merkle tree's check) see each verified page.
 */
export async function verifyChain(reader: LedgerReader, pageSize = 5000, observers: readonly ChainObserver[] = []): Promise<VerifyReport> {
  let expectedPosition = 1;
  let prevHash = GENESIS_HASH;
  let checked = 0;
  let lastHash: string | null = null;
  let next = reader.readRowsAfter(0, pageSize);
  for (;;) {
    const rows = await next;
    if (rows.length === 0) break;
    // The next page is read while this one is hashed (a page that fails verification leaves it unread).
    next = reader.readRowsAfter(rows[rows.length - 1].position, pageSize);
    next.catch(() => undefined);
    for (let i = 0; i < rows.length; i++) {
      // Hashing is synchronous: let the process answer requests between slices of a page.
      if (i > 0 && i % YIELD_EVERY === 0) await new Promise<void>((resolve) => setImmediate(resolve));
      const row = rows[i];
      const bad = (problem: string): VerifyReport => ({
        ok: false,
        checked,
        head: { position: expectedPosition - 1, hash: lastHash },
        firstBadPosition: expectedPosition,
        problem,
      });
      const problem = rowProblem(row, expectedPosition, prevHash);
      if (problem) return bad(problem);
      prevHash = row.hash;
      lastHash = row.hash;
      expectedPosition++;
      checked++;
    }
    for (const observer of observers) {
      const finding = await observer.page(rows);
      if (finding) return observed(finding, checked, expectedPosition - 1, lastHash);
    }
  }
  for (const observer of observers) {
    const finding = await observer.finish(expectedPosition - 1);
    if (finding) return observed(finding, checked, expectedPosition - 1, lastHash);
  }
  return { ok: true, checked, head: { position: expectedPosition - 1, hash: lastHash } };
}

function observed(finding: ChainFinding, checked: number, head: number, hash: string | null): VerifyReport {
  return { ok: false, checked, head: { position: head, hash }, firstBadPosition: finding.position, problem: finding.problem };
}

/**
 * What is wrong with one stored row, given the position it should have and the hash it should
 * link to (null: the link is not known, e.g. the first row of a tail check); null when it holds.
 */
export function rowProblem(row: EventRow, expectedPosition: number, expectedPrevHash: string | null): string | null {
  if (row.position !== expectedPosition) return `expected position ${expectedPosition}, found ${row.position}`;
  if (row.position === 1 && row.prev_hash !== GENESIS_HASH) return 'position 1 does not link to the genesis hash';
  if (expectedPrevHash !== null && row.prev_hash !== expectedPrevHash) return 'prevHash does not match the previous event';
  const computed = eventHash({
    position: row.position,
    streamId: row.stream_id,
    streamVersion: row.stream_version,
    type: row.type,
    dataJson: row.data,
    metadataJson: row.metadata,
    recordedAt: row.recorded_at,
    prevHash: row.prev_hash,
  });
  return computed === row.hash ? null : 'hash does not match the event';
}
