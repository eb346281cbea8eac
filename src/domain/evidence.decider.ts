import { ConflictError, InvalidCommandError, NotFoundError } from './errors';
import type { EvidenceRevisedData, EvidenceSubmittedData, NewEvent, StoredEvent } from './events';

/**
 * The Evidence aggregate (stream `evidence-<id>`): submitted once, revised (imported reports
 * only, each time with a higher upstream revision), retracted at most once.
 */
export interface EvidenceState {
  exists: boolean;
  /** The facts that count: the submitted ones, replaced by the latest revision's (claimId and stance stay). */
  evidence: EvidenceSubmittedData | null;
  retracted: boolean;
  retraction: { reason: string; at: string | null } | null;
  /** How many EvidenceRevised the stream holds, and when the latest was recorded. */
  revisions: number;
  revisedAt: string | null;
}

export const initialEvidenceState: EvidenceState = { exists: false, evidence: null, retracted: false, retraction: null, revisions: 0, revisedAt: null };

export type EvidenceCommand =
  | { type: 'SubmitEvidence'; evidence: EvidenceSubmittedData }
  | { type: 'ReviseEvidence'; revision: EvidenceRevisedData }
  | { type: 'RetractEvidence'; reason: string };

/** The facts after a revision: the revision's, with the piece's claim and stance (a revision cannot move those). */
export function revisedFacts(current: EvidenceSubmittedData, revision: EvidenceRevisedData): EvidenceSubmittedData {
  return { claimId: current.claimId, ...(current.stance ? { stance: current.stance } : {}), ...revision };
}

export function decideEvidence(command: EvidenceCommand, state: EvidenceState): NewEvent[] {
  switch (command.type) {
    case 'SubmitEvidence':
      if (state.exists) throw new ConflictError('the evidence is already submitted');
      return [{ type: 'EvidenceSubmitted', data: command.evidence }];
    case 'ReviseEvidence': {
      if (!state.exists || !state.evidence) throw new NotFoundError('no such evidence');
      if (state.retracted) throw new ConflictError('the evidence is retracted; a retraction is final');
      const current = state.evidence.external;
      const next = command.revision.external;
      if (!current) throw new ConflictError('only imported reports (with an external reference) can be revised');
      if (!next || next.dataset !== current.dataset || next.id !== current.id) {
        throw new InvalidCommandError('a revision must name the same dataset row as the report', 'external');
      }
      if (!(next.revision > current.revision)) {
        throw new ConflictError(`revision ${next.revision} is not newer than the report's revision ${current.revision}`);
      }
      return [{ type: 'EvidenceRevised', data: command.revision }];
    }
    case 'RetractEvidence':
      if (!state.exists) throw new NotFoundError('no such evidence');
      if (state.retracted) throw new ConflictError('the evidence is already retracted');
      return [{ type: 'EvidenceRetracted', data: { reason: command.reason } }];
  }
}

export function evolveEvidence(state: EvidenceState, event: NewEvent | StoredEvent): EvidenceState {
  switch (event.type) {
    case 'EvidenceSubmitted':
      return { ...state, exists: true, evidence: event.data };
    case 'EvidenceRevised':
      if (!state.evidence) return state;
      return {
        ...state,
        evidence: revisedFacts(state.evidence, event.data),
        revisions: state.revisions + 1,
        revisedAt: 'recordedAt' in event ? event.recordedAt : null,
      };
    case 'EvidenceRetracted':
      return {
        ...state,
        retracted: true,
        retraction: { reason: event.data.reason, at: 'recordedAt' in event ? event.recordedAt : null },
      };
    default:
      return state;
  }
}

export function foldEvidence(events: Array<NewEvent | StoredEvent>): EvidenceState {
  return events.reduce(evolveEvidence, initialEvidenceState);
}
