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
  /**
   * After the last page. `full`: the walk began at position 1 (check everything, e.g. count all
   * stored nodes); `new`: it continued an earlier walk (check only what the new events make).
   */
  finish(head: number, scope: 'full' | 'new'): Promise<ChainFinding | null>;
}

/** A verified point of the chain: the position and hash the next event must link to (0 and 64 zeros: the genesis). */
export interface ChainPoint {
  position: number;
  hash: string;
}

const GENESIS_POINT: ChainPoint = { position: 0, hash: GENESIS_HASH };

/**
 * Walks the whole log in keyset pages (never all of it in memory) and recomputes every hash
 * from the stored bytes, so any edited byte, missing row or reordering names its position.
 * Observers (GET /api/ledger/verify passes the stored Merkle tree's check) see each verified page.
 */
export async function verifyChain(reader: LedgerReader, pageSize = 5000, observers: readonly ChainObserver[] = []): Promise<VerifyReport> {
  return (await walkChain(reader, GENESIS_POINT, pageSize, observers, 'full')).report;
}

/** What one walk found, where it ended, and how many events it re-hashed. */
interface Walk {
  report: VerifyReport;
  end: ChainPoint;
  rehashed: number;
}

/**
 * The walk behind verifyChain and ChainVerifier: from `from` (a point verified before, or the
 * genesis) to the head. `checked` counts from position 1, so a walk that starts later reports the
 * whole prefix it vouches for (the part before `from` on the word of an earlier walk).
 */
async function walkChain(reader: LedgerReader, from: ChainPoint, pageSize: number, observers: readonly ChainObserver[], scope: 'full' | 'new'): Promise<Walk> {
  let expectedPosition = from.position + 1;
  let prevHash = from.hash;
  let lastHash: string | null = from.position === 0 ? null : from.hash;
  let rehashed = 0;
  const result = (report: VerifyReport): Walk => ({ report, end: { position: expectedPosition - 1, hash: prevHash }, rehashed });
  let next = reader.readRowsAfter(from.position, pageSize);
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
      rehashed++;
      const problem = rowProblem(row, expectedPosition, prevHash);
      if (problem) {
        return result({
          ok: false,
          checked: expectedPosition - 1,
          head: { position: expectedPosition - 1, hash: lastHash },
          firstBadPosition: expectedPosition,
          problem,
        });
      }
      prevHash = row.hash;
      lastHash = row.hash;
      expectedPosition++;
    }
    for (const observer of observers) {
      const finding = await observer.page(rows);
      if (finding) return result(observed(finding, expectedPosition - 1, lastHash));
    }
  }
  for (const observer of observers) {
    const finding = await observer.finish(expectedPosition - 1, scope);
    if (finding) return result(observed(finding, expectedPosition - 1, lastHash));
  }
  return result({ ok: true, checked: expectedPosition - 1, head: { position: expectedPosition - 1, hash: lastHash } });
}

function observed(finding: ChainFinding, head: number, hash: string | null): VerifyReport {
  return { ok: false, checked: head, head: { position: head, hash }, firstBadPosition: finding.position, problem: finding.problem };
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

/** One walk ChainVerifier made (metrics count them): full from position 1, or the new events only. */
export interface VerifyRun {
  mode: 'incremental' | 'full';
  /** Events whose hash this walk recomputed. */
  rehashed: number;
  ok: boolean;
}

/**
 * GET /api/ledger/verify and the background whole-chain check, made cheap to ask often:
 * - incremental: a walk starts at the last verified point (position and hash, and the stored
 *   Merkle tree's frontier there), so each event is hashed once however often verify is called;
 * - cached per head: at an unchanged head the last answer is given without reading a row;
 * - single-flight: concurrent callers share the walk in progress (one run, many answers);
 * - damage found (by any walk) is reported until a full walk passes again;
 * - full (`verify({full: true})`): everything from position 1, with fresh observers: an admin's
 *   `?full=true` and CHAIN_FULL_VERIFY_MS. Only a full walk sees an edit behind the verified
 *   point (docs/security.md); if the stored event at that point no longer has the hash verified
 *   there (or the log is shorter), the incremental ask turns into a full walk by itself.
 * Walks run one at a time.
 */
export class ChainVerifier {
  /** Where the last passing walk ended, and the observers that continue from there. */
  private verified: { point: ChainPoint; observers: ChainObserver[] } | null = null;
  /** The report of damage a walk found; answered until a full walk passes. */
  private damage: VerifyReport | null = null;
  private inFlight: { mode: 'incremental' | 'full'; answer: Promise<VerifyReport> } | null = null;
  private readonly listeners = new Set<(run: VerifyRun) => void>();

  constructor(
    private readonly reader: LedgerReader,
    private readonly makeObservers: () => ChainObserver[] = () => [],
    private readonly pageSize = 5000,
  ) {}

  /** The damage a walk found (ok:false report), until a full walk passes again; null when none is known. */
  get knownDamage(): VerifyReport | null {
    return this.damage;
  }

  /** Told of every walk (not of answers from the cache): metrics count runs and re-hashed events. */
  onRun(listener: (run: VerifyRun) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  verify(options: { full?: boolean } = {}): Promise<VerifyReport> {
    const current = this.inFlight;
    if (options.full) {
      if (current?.mode === 'full') return current.answer;
      // After the walk in progress (walks never overlap: they share the verified point).
      const before = current ? current.answer.catch(() => undefined) : Promise.resolve();
      return this.start('full', () => before.then(() => this.walk('full')));
    }
    if (current) return current.answer; // any walk in progress answers an incremental ask
    return this.start('incremental', () => this.incremental());
  }

  private start(mode: 'incremental' | 'full', work: () => Promise<VerifyReport>): Promise<VerifyReport> {
    const flight = { mode, answer: work() };
    this.inFlight = flight;
    const clear = () => {
      if (this.inFlight === flight) this.inFlight = null;
    };
    flight.answer.then(clear, clear);
    return flight.answer;
  }

  private async incremental(): Promise<VerifyReport> {
    if (this.damage) return this.damage;
    const head = await this.reader.head();
    const from = this.verified;
    if (!from) return this.walk('incremental', null);
    if (head.position === from.point.position && (head.hash ?? GENESIS_HASH) === from.point.hash) {
      return { ok: true, checked: head.position, head };
    }
    if (head.position < from.point.position || !(await this.stillThere(from.point))) return this.walk('full');
    return this.walk('incremental', from);
  }

  /** The stored event at a verified point still has the hash verified there. */
  private async stillThere(point: ChainPoint): Promise<boolean> {
    if (point.position === 0) return true;
    const [row] = await this.reader.readRowsAfter(point.position - 1, 1);
    return row?.position === point.position && row.hash === point.hash;
  }

  private async walk(mode: 'incremental' | 'full', from: { point: ChainPoint; observers: ChainObserver[] } | null = null): Promise<VerifyReport> {
    const observers = from?.observers ?? this.makeObservers();
    let walked: Walk;
    try {
      walked = await walkChain(this.reader, from?.point ?? GENESIS_POINT, this.pageSize, observers, from ? 'new' : 'full');
    } catch (err) {
      // The observers may have seen part of a page: start over next time rather than trust them.
      this.verified = null;
      throw err;
    }
    const { report } = walked;
    if (report.ok) {
      this.verified = { point: walked.end, observers };
      if (mode === 'full') this.damage = null;
    } else {
      this.verified = null;
      this.damage = report;
    }
    for (const listener of this.listeners) {
      try {
        listener({ mode, rehashed: walked.rehashed, ok: report.ok });
      } catch {
        /* a listener never changes the answer */
      }
    }
    return report;
  }
}
