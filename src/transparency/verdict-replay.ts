import type { StoredEvent } from '../domain/events';
import type { Expectation, Stance, VerificationStatus } from '../domain/types';
import { computeVerdictBy, type EvidenceFact, type WindowFacts } from '../domain/verdict';

type Facts = Omit<EvidenceFact, 'evidenceId' | 'stance'>;

const sameList = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((x, i) => x === b[i]);

/**
 * What a status change is decided from, per claim: the pieces attached (in order of first
 * attachment, as the claim decider's `attached` keeps them), the status, whether the pledge's
 * window has closed and what it expects (claim.decider.ts: verdictOf, windowFactsOf). Kept
 * mutable: one verify-log run folds a million events.
 */
interface ClaimFacts {
  attached: Map<string, Stance>;
  status: VerificationStatus;
  window: WindowFacts;
}

/**
 * Recomputes every VerificationStatusChanged of a log read in order, from the attachments
 * before it, with the rule the event names (computeVerdictBy: `verdict-v1`, `verdict-v2`, and
 * whatever rule the domain adds there); each piece's facts are its latest EvidenceSubmitted or
 * EvidenceRevised before. test/unit/transparency/verdict-replay.spec.ts holds it to the
 * claim decider's own decisions.
 */
export class VerdictReplay {
  private readonly claims = new Map<string, ClaimFacts>();
  private readonly facts = new Map<string, Facts>();
  checked = 0;

  /** Feeds the next event of the log; returns what is wrong with it (a status change that does not follow), or null. */
  apply(event: StoredEvent): string | null {
    if (event.streamId.startsWith('evidence-') && (event.type === 'EvidenceSubmitted' || event.type === 'EvidenceRevised')) {
      const { reliability, credibility, source } = event.data;
      this.facts.set(event.streamId.slice('evidence-'.length), { reliability, credibility, source });
      return null;
    }
    if (!event.streamId.startsWith('claim-')) return null;
    let claim = this.claims.get(event.streamId);
    if (!claim) {
      claim = { attached: new Map(), status: 'unverified', window: { closed: false, expectation: null } };
      this.claims.set(event.streamId, claim);
    }
    switch (event.type) {
      case 'ClaimRecorded':
        claim.window.expectation = (event.data.scope?.expectation ?? null) as Expectation | null;
        return null;
      case 'EvidenceAttached':
        claim.attached.set(event.data.evidenceId, event.data.stance);
        return null;
      case 'EvidenceDetached':
        claim.attached.delete(event.data.evidenceId);
        return null;
      case 'ScopeWindowClosed':
        claim.window.closed = true;
        return null;
      case 'VerificationStatusChanged': {
        this.checked++;
        const problem = this.check(claim, event.data);
        claim.status = event.data.to;
        return problem;
      }
      default:
        return null;
    }
  }

  private check(
    state: ClaimFacts,
    recorded: { from: string; to: string; support: number; contradict: number; basis: string[]; rule: string; reason?: string },
  ): string | null {
    const used: EvidenceFact[] = [];
    for (const [id, stance] of state.attached) {
      const f = this.facts.get(id);
      if (!f) return `evidence ${id} is attached but was never submitted before this status change`;
      used.push({ ...f, evidenceId: id, stance });
    }
    let v;
    try {
      v = computeVerdictBy(recorded.rule, used, { ...state.window });
    } catch (err) {
      return `rule ${recorded.rule}: ${(err as Error).message}`;
    }
    const diffs: string[] = [];
    if (recorded.from !== state.status) diffs.push(`from is ${recorded.from}, the claim was ${state.status}`);
    if (recorded.to !== v.status) diffs.push(`to is ${recorded.to}, ${recorded.rule} gives ${v.status}`);
    if (recorded.support !== v.support) diffs.push(`support is ${recorded.support}, ${recorded.rule} gives ${v.support}`);
    if (recorded.contradict !== v.contradict) diffs.push(`contradict is ${recorded.contradict}, ${recorded.rule} gives ${v.contradict}`);
    if (!sameList(recorded.basis, v.basis)) diffs.push(`basis is [${recorded.basis.join(', ')}], ${recorded.rule} gives [${v.basis.join(', ')}]`);
    if ((recorded.reason ?? null) !== (v.reason ?? null)) diffs.push(`reason is ${recorded.reason ?? 'absent'}, ${recorded.rule} gives ${v.reason ?? 'absent'}`);
    return diffs.length ? `the status change does not follow from the attachments before it: ${diffs.join('; ')}` : null;
  }
}
