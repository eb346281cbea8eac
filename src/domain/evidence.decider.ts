import { ConflictError, NotFoundError } from './errors';
import type { EvidenceSubmittedData, NewEvent, StoredEvent } from './events';

/** The Evidence aggregate (stream `evidence-<id>`): submitted once, retracted at most once. */
export interface EvidenceState {
  exists: boolean;
  evidence: EvidenceSubmittedData | null;
  retracted: boolean;
  retraction: { reason: string; at: string | null } | null;
}

export const initialEvidenceState: EvidenceState = { exists: false, evidence: null, retracted: false, retraction: null };

export type EvidenceCommand =
  | { type: 'SubmitEvidence'; evidence: EvidenceSubmittedData }
  | { type: 'RetractEvidence'; reason: string };

export function decideEvidence(command: EvidenceCommand, state: EvidenceState): NewEvent[] {
  switch (command.type) {
    case 'SubmitEvidence':
      if (state.exists) throw new ConflictError('the evidence is already submitted');
      return [{ type: 'EvidenceSubmitted', data: command.evidence }];
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
