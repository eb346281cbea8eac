import type { TimelinePointSchema } from './timeline.schema';
import type { EvidenceSubmittedData, StoredEvent } from '../domain/events';
import { evolveClaim, initialClaimState } from '../domain/claim.decider';
import { computeVerdict, type EvidenceFact } from '../domain/verdict';

/** A point is its response schema's shape: a field added or dropped on one side fails to compile. */
export type TimelinePoint = TimelinePointSchema;

/**
 * Support and contradiction weight over time, one point per event of the claim's stream: the
 * claim's state after each event (the decider's own `evolveClaim`, step by step) and, after each
 * attach or detach, verdict-v1 over what is attached then (the same function the jobs use, so the
 * curve agrees with the recorded status changes).
 */
export function buildTimeline(claimEvents: StoredEvent[], evidence: Map<string, EvidenceSubmittedData>): TimelinePoint[] {
  let state = initialClaimState;
  let last = { support: 0, contradict: 0 };
  const points: TimelinePoint[] = [];
  for (const e of claimEvents) {
    const before = state;
    state = evolveClaim(state, e);
    const point: TimelinePoint = { position: e.position, at: e.recordedAt, type: e.type, ...last, status: state.status };
    if (e.type === 'EvidenceAttached' || e.type === 'EvidenceDetached') {
      point.evidenceId = e.data.evidenceId;
      // A detach shows the stance the piece had while attached.
      point.stance = e.type === 'EvidenceAttached' ? e.data.stance : before.attached[e.data.evidenceId]?.stance;
      const facts: EvidenceFact[] = [];
      for (const [id, { stance }] of Object.entries(state.attached)) {
        const ev = evidence.get(id);
        if (ev) facts.push({ evidenceId: id, stance, reliability: ev.reliability, credibility: ev.credibility, source: ev.source });
      }
      const v = computeVerdict(facts);
      last = { support: v.support, contradict: v.contradict };
      point.support = v.support;
      point.contradict = v.contradict;
    } else if (e.type === 'VerificationStatusChanged') {
      const { from, to, support, contradict } = e.data;
      point.support = support;
      point.contradict = contradict;
      last = { support, contradict };
      point.statusChange = { from, to };
    }
    points.push(point);
  }
  return points;
}
