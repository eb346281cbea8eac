import { decideClaim, foldClaim, type ClaimCommand } from '../../../src/domain/claim.decider';
import type { EvidenceSubmittedData, NewEvent, StoredEvent } from '../../../src/domain/events';
import type { EvidenceFact } from '../../../src/domain/verdict';
import { VerdictReplay } from '../../../src/transparency/verdict-replay';
import { E1, E2, claim } from '../verification/support/fixtures';

/** verify-log's verdict check: the log's own status changes pass; a doctored one is named. */

const CLAIM = claim();
const submitted = (publisher: string, reliability: EvidenceSubmittedData['reliability'], credibility: EvidenceSubmittedData['credibility']): EvidenceSubmittedData => ({
  claimId: 'c',
  stance: 'contradicts',
  summary: 'shelling reported',
  source: { url: `https://${publisher}.example/report`, publisher },
  observedAt: '2022-03-30T08:00:00+03:00',
  reliability,
  credibility,
});

/** A log as the service writes it: evidence streams, and the claim's stream decided by the domain. */
function log(): StoredEvent[] {
  const out: StoredEvent[] = [];
  const push = (streamId: string, e: NewEvent) => out.push({ ...e, streamId, position: out.length + 1, streamVersion: 0, recordedAt: '', prevHash: '', hash: '', metadata: { actor: { kind: 'system', name: 't' }, correlationId: 'x', causationId: null } } as StoredEvent);
  const facts: Record<string, EvidenceFact> = {};
  const claimEvents: NewEvent[] = [];
  const decide = (cmd: ClaimCommand) => {
    for (const e of decideClaim(cmd, foldClaim(claimEvents))) {
      claimEvents.push(e);
      push('claim-c', e);
    }
  };
  decide({ type: 'RecordClaim', claim: CLAIM });
  for (const [id, data] of [[E1, submitted('one', 'A', 1)], [E2, submitted('two', 'B', 2)]] as const) {
    push(`evidence-${id}`, { type: 'EvidenceSubmitted', data });
    facts[id] = { evidenceId: id, stance: 'contradicts', reliability: data.reliability, credibility: data.credibility, source: data.source };
    decide({ type: 'AttachEvidence', evidenceId: id, stance: 'contradicts', attachedBy: 'checker', facts: { ...facts } } as ClaimCommand);
  }
  decide({ type: 'DetachEvidence', evidenceId: E2, reason: 'retracted', facts: { [E1]: facts[E1] } });
  return out;
}

describe('VerdictReplay', () => {
  it('every status change the domain wrote follows from the attachments before it', () => {
    const events = log();
    const replay = new VerdictReplay();
    expect(events.map((e) => replay.apply(e)).filter(Boolean)).toEqual([]);
    expect(replay.checked).toBeGreaterThanOrEqual(2);
  });

  it('a doctored status change is named, with what the rule gives instead', () => {
    const events = log();
    const i = events.findIndex((e) => e.type === 'VerificationStatusChanged');
    const doctored = events.map((e, k) => (k === i && e.type === 'VerificationStatusChanged' ? { ...e, data: { ...e.data, to: 'confirmed' as const } } : e));
    const replay = new VerdictReplay();
    const problems = doctored.map((e) => replay.apply(e)).filter(Boolean);
    expect(problems[0]).toMatch(/to is confirmed, verdict-v1 gives/);
  });

  it('facts changed under an attachment (an edited report) and unknown rules are named', () => {
    const events = log().map((e) => (e.type === 'EvidenceSubmitted' ? { ...e, data: { ...e.data, reliability: 'F' as const } } : e));
    const replay = new VerdictReplay();
    expect(events.map((e) => replay.apply(e)).filter(Boolean).length).toBeGreaterThan(0);
    const unknown = log().map((e) => (e.type === 'VerificationStatusChanged' ? { ...e, data: { ...e.data, rule: 'verdict-v9' } } : e));
    const r2 = new VerdictReplay();
    expect(unknown.map((e) => r2.apply(e)).filter(Boolean)[0]).toMatch(/unknown verdict rule: verdict-v9/);
  });
});
