import type { AttachedBy, Stance, VerificationStatus } from '../domain/types';
import type { ClaimRecordedData, EvidenceSubmittedData, StoredEvent, VerificationStatusChangedData } from '../domain/events';
import { foldEvidence } from '../domain/evidence.decider';
import { VERDICT_RULE, computeVerdict } from '../domain/verdict';

export interface ClaimEvidenceItem {
  evidenceId: string;
  stance: Stance;
  attachedBy: AttachedBy;
  summary: string;
  source: EvidenceSubmittedData['source'];
  reliability: EvidenceSubmittedData['reliability'];
  credibility: EvidenceSubmittedData['credibility'];
  observedAt: string;
  retracted: boolean;
  attached: boolean;
  attachedAt: string;
  attachedPosition: number;
  rule?: unknown;
}

export interface ClaimView extends ClaimRecordedData {
  id: string;
  status: VerificationStatus;
  verdict: { support: number; contradict: number; basis: string[]; rule: string };
  evidence: ClaimEvidenceItem[];
  statusHistory: Array<{ status: VerificationStatus; at: string; position: number }>;
  version: number;
  position: number;
  recordedAt: string;
  updatedAt: string;
  head: { position: number; hash: string };
}

/**
 * Folds a claim's stream and the streams of the evidence ever attached to it into the view the
 * API serves. The same function answers "now" and "as of": the caller passes only the events
 * recorded by then.
 */
export function buildClaimView(
  claimId: string,
  claimEvents: StoredEvent[],
  evidenceStreams: Map<string, StoredEvent[]>,
): ClaimView | null {
  const first = claimEvents[0];
  if (!first || first.type !== 'ClaimRecorded') return null;
  const claim = first.data as ClaimRecordedData;
  const statusHistory: ClaimView['statusHistory'] = [{ status: 'unverified', at: first.recordedAt, position: first.position }];
  let status: VerificationStatus = 'unverified';
  let verdict: ClaimView['verdict'] = { support: 0, contradict: 0, basis: [], rule: VERDICT_RULE };
  const evidence = new Map<string, ClaimEvidenceItem>();

  for (const e of claimEvents) {
    if (e.type === 'EvidenceAttached') {
      const d = e.data as { evidenceId: string; stance: Stance; attachedBy: AttachedBy; rule?: unknown };
      const submitted = foldEvidence(evidenceStreams.get(d.evidenceId) ?? []);
      const ev = submitted.evidence;
      evidence.set(d.evidenceId, {
        evidenceId: d.evidenceId,
        stance: d.stance,
        attachedBy: d.attachedBy,
        summary: ev?.summary ?? '',
        source: ev?.source ?? { url: '' },
        reliability: ev?.reliability ?? 'F',
        credibility: ev?.credibility ?? 6,
        observedAt: ev?.observedAt ?? '',
        retracted: submitted.retracted,
        attached: true,
        attachedAt: e.recordedAt,
        attachedPosition: e.position,
        ...(d.rule ? { rule: d.rule } : {}),
      });
    } else if (e.type === 'EvidenceDetached') {
      const item = evidence.get((e.data as { evidenceId: string }).evidenceId);
      if (item) item.attached = false;
    } else if (e.type === 'VerificationStatusChanged') {
      const d = e.data as VerificationStatusChangedData;
      status = d.to;
      verdict = { support: d.support, contradict: d.contradict, basis: d.basis, rule: d.rule };
      statusHistory.push({ status: d.to, at: e.recordedAt, position: e.position });
    }
  }
  // A status change is recorded only when the status moves, so evidence attached (or detached)
  // since the last one is not in its numbers: weigh what is attached now, as the jobs do
  // (attached and not detached), with the same rule. Equal to the recorded numbers whenever
  // the last event was a status change.
  const current = [...evidence.values()].filter((item) => item.attached);
  // (Only when every attached piece's submission was found; otherwise the recorded numbers stand.)
  if (current.every((item) => item.source.url !== '')) {
    const v = computeVerdict(
      current.map((item) => ({
        evidenceId: item.evidenceId,
        stance: item.stance,
        reliability: item.reliability,
        credibility: item.credibility,
        source: item.source,
      })),
    );
    verdict = { support: v.support, contradict: v.contradict, basis: v.basis, rule: v.rule };
  }
  const last = claimEvents[claimEvents.length - 1];
  return {
    id: claimId,
    kind: claim.kind,
    statement: claim.statement,
    speaker: claim.speaker,
    madeAt: claim.madeAt,
    source: claim.source,
    topics: claim.topics,
    scope: claim.scope,
    status,
    verdict,
    evidence: [...evidence.values()],
    statusHistory,
    version: last.streamVersion,
    position: first.position,
    recordedAt: first.recordedAt,
    updatedAt: last.recordedAt,
    head: { position: last.position, hash: last.hash },
  };
}
