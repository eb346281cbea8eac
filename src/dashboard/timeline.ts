import type { TimelinePointSchema, WorldPointSchema } from './timeline.schema';
import type { Stance } from '../domain/types';
import type { EvidenceSubmittedData, StoredEvent } from '../domain/events';
import { evolveClaim, initialClaimState } from '../domain/claim.decider';
import { computeVerdict, type EvidenceFact } from '../domain/verdict';

/** A point is its response schema's shape: a field added or dropped on one side fails to compile. */
export type TimelinePoint = TimelinePointSchema;
export type WorldPoint = WorldPointSchema;

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
    // World time (issue 15.14): when what this point is about happened or was observed.
    const observedAt = worldTimeOf(e, state, evidence);
    if (observedAt) point.observedAt = observedAt;
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

/**
 * A point's world time: the claim was made at madeAt; a piece of evidence was observed at its
 * observedAt (attached or detached alike); a status change reflects the world up to the latest
 * observation among the pieces attached then (madeAt while none is). Other events (reviews, window
 * closes) have none and are left out of the world-time view.
 */
function worldTimeOf(e: StoredEvent, state: ReturnType<typeof evolveClaim>, evidence: Map<string, EvidenceSubmittedData>): string | undefined {
  if (e.type === 'ClaimRecorded') return e.data.madeAt;
  if (e.type === 'EvidenceAttached' || e.type === 'EvidenceDetached') return evidence.get(e.data.evidenceId)?.observedAt;
  if (e.type !== 'VerificationStatusChanged') return undefined;
  let latest: string | undefined;
  for (const id of Object.keys(state.attached)) {
    const observed = evidence.get(id)?.observedAt;
    if (observed && (!latest || Date.parse(observed) > Date.parse(latest))) latest = observed;
  }
  return latest ?? state.claim?.madeAt;
}

/**
 * The weight of evidence in world time: the pieces attached at the end of the timeline (now, or
 * at asOf), in the order they were observed, with verdict-v1 over those observed up to each one.
 * "What the evidence attached now says about the world up to then."
 */
export function buildWorldSeries(claimEvents: StoredEvent[], evidence: Map<string, EvidenceSubmittedData>): WorldPoint[] {
  const state = claimEvents.reduce(evolveClaim, initialClaimState);
  const attached = Object.entries(state.attached)
    .map(([id, { stance }]) => ({ id, stance, ev: evidence.get(id) }))
    .filter((a): a is { id: string; stance: Stance; ev: EvidenceSubmittedData } => a.ev !== undefined)
    .sort((a, b) => Date.parse(a.ev.observedAt) - Date.parse(b.ev.observedAt) || (a.id < b.id ? -1 : 1));
  const facts: EvidenceFact[] = [];
  return attached.map(({ id, stance, ev }) => {
    facts.push({ evidenceId: id, stance, reliability: ev.reliability, credibility: ev.credibility, source: ev.source });
    const v = computeVerdict(facts);
    return { observedAt: ev.observedAt, evidenceId: id, stance, support: v.support, contradict: v.contradict };
  });
}
