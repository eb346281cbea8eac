import type { AttachedBy, Stance, VerificationStatus } from '../common/domain.types';
import { ConflictError, InvalidCommandError, NotFoundError } from '../common/errors';
import type { ClaimRecordedData, MatchRule, NewEvent, StoredEvent } from '../ledger/event-catalogue';
import { computeVerdict, type EvidenceFact } from '../verification';

/** The Claim aggregate (stream `claim-<id>`): a pure decider, with clock and ids passed in. */
export interface Attachment {
  stance: Stance;
  attachedBy: AttachedBy;
}

export interface ClaimState {
  exists: boolean;
  claim: ClaimRecordedData | null;
  /** Attached and not detached. */
  attached: Record<string, Attachment>;
  /** Every evidence id that was ever attached: a detached piece is never attached again. */
  seen: Record<string, true>;
  status: VerificationStatus;
}

export const initialClaimState: ClaimState = { exists: false, claim: null, attached: {}, seen: {}, status: 'unverified' };

export type ClaimCommand =
  | { type: 'RecordClaim'; claim: ClaimRecordedData }
  | {
      type: 'AttachEvidence';
      evidenceId: string;
      stance: Stance;
      attachedBy: AttachedBy;
      rule?: MatchRule;
      /** Facts of every piece that will be attached after this one (this one included). */
      facts: Record<string, EvidenceFact>;
    }
  | {
      type: 'DetachEvidence';
      evidenceId: string;
      reason: 'retracted';
      /** Facts of every piece still attached after this one goes. */
      facts: Record<string, EvidenceFact>;
    };

export function decideClaim(command: ClaimCommand, state: ClaimState): NewEvent[] {
  switch (command.type) {
    case 'RecordClaim': {
      if (state.exists) throw new ConflictError('the claim is already recorded');
      if (command.claim.scope && command.claim.kind !== 'pledge') {
        throw new InvalidCommandError('scope is accepted only on pledges (kind "pledge")', 'scope');
      }
      return [{ type: 'ClaimRecorded', data: command.claim }];
    }
    case 'AttachEvidence': {
      if (!state.exists) throw new NotFoundError('no such claim');
      if (state.seen[command.evidenceId]) return []; // attached before: at most once, however often asked
      const remaining = { ...state.attached, [command.evidenceId]: { stance: command.stance, attachedBy: command.attachedBy } };
      const attachedEvent: NewEvent = {
        type: 'EvidenceAttached',
        data: {
          evidenceId: command.evidenceId,
          stance: command.stance,
          attachedBy: command.attachedBy,
          ...(command.rule ? { rule: command.rule } : {}),
        },
      };
      return [attachedEvent, ...statusChange(state, remaining, command.facts)];
    }
    case 'DetachEvidence': {
      if (!state.exists) throw new NotFoundError('no such claim');
      if (!state.attached[command.evidenceId]) return [];
      const remaining = { ...state.attached };
      delete remaining[command.evidenceId];
      return [
        { type: 'EvidenceDetached', data: { evidenceId: command.evidenceId, reason: command.reason } },
        ...statusChange(state, remaining, command.facts),
      ];
    }
  }
}

/** verdict-v1 over what stays attached; an event only when the status moves. */
function statusChange(state: ClaimState, attached: Record<string, Attachment>, facts: Record<string, EvidenceFact>): NewEvent[] {
  const used: EvidenceFact[] = Object.entries(attached).map(([id, a]) => {
    const fact = facts[id];
    if (!fact) throw new Error(`facts for attached evidence ${id} were not supplied`);
    // The stance is the attachment's (a report's stance comes from the pledge it matched).
    return { ...fact, evidenceId: id, stance: a.stance };
  });
  const verdict = computeVerdict(used);
  if (verdict.status === state.status) return [];
  return [
    {
      type: 'VerificationStatusChanged',
      data: {
        from: state.status,
        to: verdict.status,
        support: verdict.support,
        contradict: verdict.contradict,
        basis: verdict.basis,
        rule: verdict.rule,
      },
    },
  ];
}

export function evolveClaim(state: ClaimState, event: NewEvent | StoredEvent): ClaimState {
  switch (event.type) {
    case 'ClaimRecorded':
      return { ...state, exists: true, claim: event.data as ClaimRecordedData };
    case 'EvidenceAttached': {
      const d = event.data as { evidenceId: string; stance: Stance; attachedBy: AttachedBy };
      return {
        ...state,
        attached: { ...state.attached, [d.evidenceId]: { stance: d.stance, attachedBy: d.attachedBy } },
        seen: { ...state.seen, [d.evidenceId]: true },
      };
    }
    case 'EvidenceDetached': {
      const attached = { ...state.attached };
      delete attached[(event.data as { evidenceId: string }).evidenceId];
      return { ...state, attached };
    }
    case 'VerificationStatusChanged':
      return { ...state, status: (event.data as { to: VerificationStatus }).to };
    default:
      return state;
  }
}

export function foldClaim(events: Array<NewEvent | StoredEvent>): ClaimState {
  return events.reduce(evolveClaim, initialClaimState);
}
