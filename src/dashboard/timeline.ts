import type { Stance, VerificationStatus } from '../domain/types';
import type { EvidenceSubmittedData, StoredEvent, VerificationStatusChangedData } from '../domain/events';
import { computeVerdict, type EvidenceFact } from '../domain/verdict';

export interface TimelinePoint {
  position: number;
  at: string;
  type: string;
  evidenceId?: string;
  stance?: Stance;
  /** verdict-v1 over the evidence attached after this event (S and X, rounded to 3 decimals). */
  support: number;
  contradict: number;
  /** The recorded status after this event. */
  status: VerificationStatus;
  /** Set when this event changed the status. */
  statusChange?: { from: VerificationStatus; to: VerificationStatus };
}

/**
 * Support and contradiction weight over time, one point per event of the claim's stream: after
 * each attach or detach, verdict-v1 over what is attached then (the same function the jobs
 * use, so the curve agrees with the recorded status changes).
 */
export function buildTimeline(claimEvents: StoredEvent[], evidence: Map<string, EvidenceSubmittedData>): TimelinePoint[] {
  const attached = new Map<string, Stance>();
  let status: VerificationStatus = 'unverified';
  let last = { support: 0, contradict: 0 };
  const points: TimelinePoint[] = [];
  for (const e of claimEvents) {
    const point: TimelinePoint = { position: e.position, at: e.recordedAt, type: e.type, ...last, status };
    if (e.type === 'EvidenceAttached' || e.type === 'EvidenceDetached') {
      const d = e.data as { evidenceId: string; stance?: Stance };
      if (e.type === 'EvidenceAttached') attached.set(d.evidenceId, d.stance!);
      point.evidenceId = d.evidenceId;
      point.stance = d.stance ?? undefined;
      if (e.type === 'EvidenceDetached') {
        point.stance = attached.get(d.evidenceId);
        attached.delete(d.evidenceId);
      }
      const facts: EvidenceFact[] = [];
      for (const [id, stance] of attached) {
        const ev = evidence.get(id);
        if (ev) facts.push({ evidenceId: id, stance, reliability: ev.reliability, credibility: ev.credibility, source: ev.source });
      }
      const v = computeVerdict(facts);
      last = { support: v.support, contradict: v.contradict };
      point.support = v.support;
      point.contradict = v.contradict;
    } else if (e.type === 'VerificationStatusChanged') {
      const d = e.data as VerificationStatusChangedData;
      status = d.to;
      point.status = d.to;
      point.support = d.support;
      point.contradict = d.contradict;
      last = { support: d.support, contradict: d.contradict };
      point.statusChange = { from: d.from, to: d.to };
    }
    points.push(point);
  }
  return points;
}
