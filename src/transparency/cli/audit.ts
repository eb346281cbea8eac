import type { StoredEvent } from '../../domain/events';
import { canonicalize } from '../../ledger/canonical-json';
import { GENESIS_HASH, eventHash } from '../../ledger/hash-chain';
import { appendLeaf, leafHash, rootOfFrontier, verifyConsistency, type TreeNode } from '../merkle';
import { parseCheckpoint, verifyNote, type Checkpoint } from '../note';
import { VerdictReplay } from '../verdict-replay';
import type { LogClient } from './http-client';

export interface AuditOptions {
  client: LogClient;
  vkey: string;
  /** A checkpoint saved earlier (its text): the log must still be consistent with it. */
  saved?: string | null;
  pageSize?: number;
  onProgress?: (done: number, total: number) => void;
}

export interface AuditCheck {
  name: string;
  ok: boolean;
  detail: string;
}

export interface AuditReport {
  ok: boolean;
  log: string;
  size: number | null;
  rootHash: string | null;
  events: number;
  verdicts: number;
  ms: number;
  eventsPerSecond: number;
  checks: AuditCheck[];
  /** The size at which consistency with the saved checkpoint breaks, when it does. */
  inconsistentAt?: number;
}

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const PAGE = 500;

/**
 * verify-log's audit, from the public routes alone: the latest checkpoint and its signature;
 * the feed up to its size (every event hash and the chain); the Merkle root at that size; the
 * saved checkpoint's root at its size and the log's consistency proof between the two; and
 * every VerificationStatusChanged recomputed from the attachments before it.
 */
export async function audit(opts: AuditOptions): Promise<AuditReport> {
  const started = Date.now();
  const checks: AuditCheck[] = [];
  const report: AuditReport = { ok: false, log: opts.client.base, size: null, rootHash: null, events: 0, verdicts: 0, ms: 0, eventsPerSecond: 0, checks };
  const check = (name: string, ok: boolean, detail: string) => {
    checks.push({ name, ok, detail });
    return ok;
  };
  const finish = () => {
    report.ms = Date.now() - started;
    report.eventsPerSecond = report.ms > 0 ? Math.round((report.events * 1000) / report.ms) : report.events;
    report.ok = checks.length > 0 && checks.every((c) => c.ok);
    return report;
  };

  // 1. The saved checkpoint must verify with the key, or it proves nothing.
  let saved: Checkpoint | null = null;
  if (opts.saved) {
    try {
      saved = parseCheckpoint(verifyNote(opts.saved, opts.vkey).body);
      check('saved checkpoint signature', true, `size ${saved.size}, root ${hex(saved.rootHash)}`);
    } catch (err) {
      check('saved checkpoint signature', false, (err as Error).message);
      return finish();
    }
  }

  // 2. The latest checkpoint, signed by the key.
  let latest: Checkpoint;
  let latestText: string;
  try {
    latestText = await opts.client.getText('/api/checkpoint');
    latest = parseCheckpoint(verifyNote(latestText, opts.vkey).body);
    report.size = latest.size;
    report.rootHash = hex(latest.rootHash);
    check('checkpoint signature', true, `size ${latest.size}, root ${report.rootHash}`);
  } catch (err) {
    check('checkpoint signature', false, (err as Error).message);
    return finish();
  }
  if (saved && saved.origin !== latest.origin) check('origin', false, `the saved checkpoint is of ${saved.origin}, the log signs ${latest.origin}`);
  if (saved && saved.size > latest.size) {
    check('consistency with the saved checkpoint', false, `the log's latest checkpoint (size ${latest.size}) is older than the saved one (size ${saved.size}): it was rolled back`);
    report.inconsistentAt = saved.size;
    return finish();
  }

  // 3. The feed up to the checkpoint's size: hashes, chain, tree, verdicts.
  const frontier: TreeNode[] = [];
  const verdicts = new Replay();
  let prevHash = GENESIS_HASH;
  let position = 0;
  let chainProblem: string | null = null;
  let savedRoot: Buffer | null = saved && saved.size === 0 ? rootOfFrontier([]) : null;
  const limit = Math.min(opts.pageSize ?? PAGE, PAGE);
  const fetchPage = (after: number) => opts.client.getJson<{ items: StoredEvent[] }>(`/api/events?after=${after}&limit=${limit}`);
  let next: Promise<{ items: StoredEvent[] }> | null = latest.size > 0 ? fetchPage(0) : null;
  try {
    while (next && position < latest.size) {
      const page = await next;
      const items = page.items;
      if (items.length === 0) break;
      const last = items[items.length - 1].position;
      next = last < latest.size && items.length === limit ? fetchPage(last) : null;
      next?.catch(() => undefined);
      for (const e of items) {
        if (e.position > latest.size) break;
        if (e.position !== position + 1) {
          chainProblem = `expected position ${position + 1}, the feed has ${e.position}`;
          break;
        }
        if (e.prevHash !== prevHash) {
          chainProblem = `position ${e.position}: prevHash does not match the previous event`;
          break;
        }
        // The stored text is RFC 8785, which JSON.stringify of the parsed feed reproduces in
        // nearly every case (members arrive in canonical order): try the native form first, and
        // the canonicaliser when it does not match. Either way the hash covers exactly this data.
        const input = {
          position: e.position,
          streamId: e.streamId,
          streamVersion: e.streamVersion,
          type: e.type,
          dataJson: JSON.stringify(e.data),
          metadataJson: JSON.stringify(e.metadata),
          recordedAt: e.recordedAt,
          prevHash: e.prevHash,
        };
        let computed = eventHash(input);
        if (computed !== e.hash) {
          input.dataJson = canonicalize(e.data);
          input.metadataJson = canonicalize(e.metadata);
          computed = eventHash(input);
        }
        if (computed !== e.hash) {
          chainProblem = `position ${e.position}: the hash does not match the event`;
          break;
        }
        prevHash = e.hash;
        position = e.position;
        appendLeaf(frontier, position - 1, leafHash(Buffer.from(e.hash, 'hex')));
        if (saved && position === saved.size) savedRoot = rootOfFrontier(frontier);
        verdicts.apply(e);
      }
      report.events = position;
      opts.onProgress?.(position, latest.size);
      if (chainProblem) break;
    }
  } catch (err) {
    chainProblem = `reading the feed: ${(err as Error).message}`;
  }
  report.verdicts = verdicts.replay.checked;
  if (!chainProblem && position < latest.size) chainProblem = `the feed ends at position ${position}, the checkpoint covers ${latest.size}`;
  check('hash chain', !chainProblem, chainProblem ?? `${position} events, every hash recomputed and linked`);
  if (chainProblem) return finish();

  const root = rootOfFrontier(frontier);
  check('Merkle root', root.equals(latest.rootHash), root.equals(latest.rootHash) ? `the feed's tree of ${latest.size} events has the signed root` : `the feed's tree of ${latest.size} events has root ${hex(root)}, the checkpoint signs ${hex(latest.rootHash)}`);

  // 4. Consistency with the saved checkpoint: the feed's own root at its size, and the log's proof.
  if (saved) {
    const feedOk = savedRoot !== null && savedRoot.equals(saved.rootHash);
    let proofOk = saved.size === 0 || saved.size === latest.size ? feedOk : false;
    let proofDetail = '';
    if (saved.size > 0 && saved.size < latest.size) {
      try {
        const p = await opts.client.getJson<{ proof: string[] }>(`/api/proofs/consistency?from=${saved.size}&to=${latest.size}`);
        proofOk = verifyConsistency(saved.size, latest.size, saved.rootHash, latest.rootHash, p.proof.map((h) => Buffer.from(h, 'hex')));
        proofDetail = proofOk ? '; the log\'s consistency proof verifies' : '; the log\'s consistency proof does not verify';
      } catch (err) {
        proofDetail = `; no consistency proof: ${(err as Error).message}`;
      }
    }
    const ok = feedOk && proofOk;
    if (!ok) report.inconsistentAt = saved.size;
    check(
      'consistency with the saved checkpoint',
      ok,
      feedOk
        ? `the log's tree at size ${saved.size} still has the saved root${proofDetail}`
        : `inconsistent at size ${saved.size}: the log's tree at size ${saved.size} has root ${savedRoot ? hex(savedRoot) : '?'}, the saved checkpoint signed ${hex(saved.rootHash)}: history before position ${saved.size + 1} was rewritten${proofDetail}`,
    );
  }

  // 5. Verdicts.
  const bad = verdicts.failures;
  check(
    'verdicts',
    bad.length === 0,
    bad.length === 0 ? `${verdicts.replay.checked} status changes recomputed with the rule each names` : `${bad.length} of ${verdicts.replay.checked} status changes do not follow: ${bad.slice(0, 5).join(' | ')}`,
  );
  return finish();
}

class Replay {
  readonly replay = new VerdictReplay();
  readonly failures: string[] = [];

  apply(e: StoredEvent): void {
    const problem = this.replay.apply(e);
    if (problem) this.failures.push(`position ${e.position} (${e.streamId}): ${problem}`);
  }
}
