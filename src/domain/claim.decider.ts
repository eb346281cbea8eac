import type { AttachedBy, Stance, VerificationStatus } from './types';
import { ConflictError, InvalidCommandError, NotFoundError } from './errors';
import type { ClaimRecordedData, MatchRule, NewEvent, StoredEvent } from './events';
import { VERDICT_RULE, computeVerdict, type EvidenceFact } from './verdict';

/** The Claim aggregate (stream `claim-<id>`): a pure decider, with clock and ids passed in. */
export interface Attachment {
  stance: Stance;
  attachedBy: AttachedBy;
}

/** Where an event sits in the log; absent while a decider's events are not stored yet. */
export interface Placement {
  position: number;
  recordedAt: string;
}

/** One piece ever attached to the claim, in order of attachment (for the view and the timeline). */
export interface AttachmentRecord extends Attachment {
  evidenceId: string;
  rule?: MatchRule;
  /** Still attached (false once detached). */
  attached: boolean;
  /** Where the EvidenceAttached event sits; null for events not stored yet. */
  placed: Placement | null;
}

/** The numbers behind the last recorded status (verdict-v1 output as the log holds it). */
export interface RecordedVerdict {
  support: number;
  contradict: number;
  basis: string[];
  rule: string;
}

/**
 * A claim's stream, folded once: what the decider needs (exists, attached, seen, status) and
 * what the claim view and the timeline show (the pieces in order, the recorded verdict, the
 * status history and where the stream starts and ends). One fold serves all three.
 */
export interface ClaimState {
  exists: boolean;
  claim: ClaimRecordedData | null;
  /** Attached and not detached. */
  attached: Record<string, Attachment>;
  /** Every evidence id that was ever attached: a detached piece is never attached again. */
  seen: Record<string, true>;
  status: VerificationStatus;
  /** The last VerificationStatusChanged's numbers (zeros before any). */
  verdict: RecordedVerdict;
  /** Every attachment, in the order the pieces were first attached. */
  attachments: AttachmentRecord[];
  /** The status after ClaimRecorded and after each change; entries of stored events only. */
  statusHistory: Array<{ status: VerificationStatus } & Placement>;
  /** The stream's first and last stored events (null while nothing is stored). */
  first: Placement | null;
  last: (Placement & { streamVersion: number; hash: string }) | null;
}

export const initialClaimState: ClaimState = {
  exists: false,
  claim: null,
  attached: {},
  seen: {},
  status: 'unverified',
  verdict: { support: 0, contradict: 0, basis: [], rule: VERDICT_RULE },
  attachments: [],
  statusHistory: [],
  first: null,
  last: null,
};

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
  const placed: Placement | null = 'position' in event ? { position: event.position, recordedAt: event.recordedAt } : null;
  const next = placed && 'hash' in event ? { ...state, last: { ...placed, streamVersion: event.streamVersion, hash: event.hash } } : state;
  switch (event.type) {
    case 'ClaimRecorded':
      return {
        ...next,
        exists: true,
        claim: event.data,
        first: placed,
        statusHistory: placed ? [{ status: 'unverified', ...placed }] : [],
      };
    case 'EvidenceAttached': {
      const { evidenceId, stance, attachedBy, rule } = event.data;
      const record: AttachmentRecord = { evidenceId, stance, attachedBy, ...(rule ? { rule } : {}), attached: true, placed };
      return {
        ...next,
        attached: { ...state.attached, [evidenceId]: { stance, attachedBy } },
        seen: { ...state.seen, [evidenceId]: true },
        // A piece attached again (only a hand-made log can hold that) keeps its first place.
        attachments: state.seen[evidenceId]
          ? state.attachments.map((a) => (a.evidenceId === evidenceId ? record : a))
          : [...state.attachments, record],
      };
    }
    case 'EvidenceDetached': {
      const { evidenceId } = event.data;
      const attached = { ...state.attached };
      delete attached[evidenceId];
      const attachments = state.attachments.map((a) => (a.evidenceId === evidenceId ? { ...a, attached: false } : a));
      return { ...next, attached, attachments };
    }
    case 'VerificationStatusChanged': {
      const { to, support, contradict, basis, rule } = event.data;
      return {
        ...next,
        status: to,
        verdict: { support, contradict, basis, rule },
        statusHistory: placed ? [...state.statusHistory, { status: to, ...placed }] : state.statusHistory,
      };
    }
    default:
      return next;
  }
}

export function foldClaim(events: Array<NewEvent | StoredEvent>): ClaimState {
  return events.reduce(evolveClaim, initialClaimState);
}
