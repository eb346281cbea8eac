import { ConflictError, InvalidCommandError, NotFoundError } from '../../../src/domain/errors';
import {
  decideEvidence,
  evolveEvidence,
  foldEvidence,
  initialEvidenceState,
  type EvidenceCommand,
  type EvidenceState,
} from '../../../src/domain/evidence.decider';
import type { EvidenceRevisedData, EvidenceSubmittedData, NewEvent, StoredEvent } from '../../../src/domain/events';
import { scenario } from '../../support/decider';

const evidence = scenario<EvidenceCommand, EvidenceState, NewEvent>({
  decide: decideEvidence,
  evolve: (s, e) => evolveEvidence(s, e),
  initialState: initialEvidenceState,
});

const CLAIM_ID = '44444444-4444-4444-8444-444444444444';

const SHELLING: EvidenceSubmittedData = {
  claimId: CLAIM_ID,
  stance: 'contradicts',
  summary: "Local officials reported heavy shelling near Chernihiv well after Tuesday's announcement.",
  source: { url: 'https://www.themoscowtimes.com/2022/03/30/kremlin-sees-no-breakthroughs-at-ukraine-talks-a77146', publisher: 'The Moscow Times' },
  observedAt: '2022-03-30T08:00:00+03:00',
  reliability: 'B',
  credibility: 2,
  places: [{ name: 'Chernihiv', lat: 51.4982, lon: 31.2893 }],
  indicators: ['shelling'],
};

const REPORT: EvidenceSubmittedData = { ...SHELLING, claimId: null, stance: undefined };
delete (REPORT as Partial<EvidenceSubmittedData>).stance;

const submitted = (data: EvidenceSubmittedData = SHELLING): NewEvent => ({ type: 'EvidenceSubmitted', data });
const retracted = (reason: string): NewEvent => ({ type: 'EvidenceRetracted', data: { reason } });

describe('Evidence decider: SubmitEvidence', () => {
  it('submits evidence for a claim', () => {
    evidence.given([]).when({ type: 'SubmitEvidence', evidence: SHELLING }).then([submitted(SHELLING)]);
  });

  it('submits a report (no claim, no stance)', () => {
    evidence.given([]).when({ type: 'SubmitEvidence', evidence: REPORT }).then([submitted(REPORT)]);
  });

  it('refuses to submit the same evidence twice', () => {
    evidence.given([submitted()]).when({ type: 'SubmitEvidence', evidence: SHELLING }).thenThrows(ConflictError);
  });
});

describe('Evidence decider: RetractEvidence', () => {
  it('retracts submitted evidence with its reason', () => {
    evidence.given([submitted()]).when({ type: 'RetractEvidence', reason: 'the report was fabricated' }).then([retracted('the report was fabricated')]);
  });

  it('refuses to retract evidence that does not exist', () => {
    evidence.given([]).when({ type: 'RetractEvidence', reason: 'x' }).thenThrows(NotFoundError);
  });

  it('refuses to retract twice', () => {
    evidence
      .given([submitted(), retracted('first')])
      .when({ type: 'RetractEvidence', reason: 'again' })
      .thenThrows(ConflictError, /already retracted/);
  });
});

describe('Evidence evolve', () => {
  it('folds submission and retraction; a stored retraction keeps its time', () => {
    const storedRetraction = {
      ...retracted('wrong city'),
      position: 9,
      streamId: 'evidence-x',
      streamVersion: 2,
      metadata: { actor: { kind: 'system', name: 't' }, correlationId: 'c', causationId: null },
      recordedAt: '2022-04-01T10:00:00.000Z',
      prevHash: '0'.repeat(64),
      hash: 'f'.repeat(64),
    } as StoredEvent;
    expect(foldEvidence([submitted(), storedRetraction])).toEqual({
      exists: true,
      evidence: SHELLING,
      retracted: true,
      retraction: { reason: 'wrong city', at: '2022-04-01T10:00:00.000Z' },
      revisions: 0,
      revisedAt: null,
    });
    expect(foldEvidence([submitted(), retracted('r')]).retraction).toEqual({ reason: 'r', at: null });
  });

  it('ignores claim events', () => {
    const state = evolveEvidence(initialEvidenceState, { type: 'EvidenceDetached', data: { evidenceId: 'x', reason: 'retracted' } });
    expect(state).toEqual(initialEvidenceState);
  });
});

describe('Evidence decider: ReviseEvidence (imported reports)', () => {
  const ROW: EvidenceSubmittedData = {
    claimId: null,
    summary: 'Shelling in Chernihiv',
    source: { url: 'https://acleddata.com/#UKR1', publisher: 'Suspilne' },
    observedAt: '2022-03-30T00:00:00.000Z',
    observedUntil: '2022-03-31T00:00:00.000Z',
    reliability: 'B',
    credibility: 2,
    places: [{ name: 'Chernihiv', lat: 51.4982, lon: 31.2893, precisionKm: 0 }],
    indicators: ['shelling'],
    external: { dataset: 'acled', id: 'UKR1', revision: 100 },
  };
  const { claimId: _c, ...base } = ROW;
  const revision = (rev: number, patch: Partial<EvidenceRevisedData> = {}): EvidenceRevisedData => ({
    ...base,
    ...patch,
    external: { dataset: 'acled', id: 'UKR1', revision: rev },
  });

  it('a higher revision gives EvidenceRevised, and its facts replace the submitted ones', () => {
    const r = revision(200, { places: [{ name: 'Kyiv', lat: 50.45, lon: 30.52, precisionKm: 25 }], observedUntil: undefined });
    delete r.observedUntil;
    const [event] = evidence.given([submitted(ROW)]).when({ type: 'ReviseEvidence', revision: r }).then([{ type: 'EvidenceRevised', data: r }]);
    const state = foldEvidence([submitted(ROW), event]);
    expect(state.evidence).toEqual({ claimId: null, ...r });
    expect(state.evidence!.observedUntil).toBeUndefined();
    expect(state.revisions).toBe(1);
  });

  it('refuses the same or a lower revision', () => {
    evidence.given([submitted(ROW)]).when({ type: 'ReviseEvidence', revision: revision(100) }).thenThrows(ConflictError, /not newer/);
    evidence.given([submitted(ROW)]).when({ type: 'ReviseEvidence', revision: revision(99) }).thenThrows(ConflictError, /not newer/);
  });

  it('refuses another row, a piece that is not imported, a retracted one, and a missing one', () => {
    const other = { ...revision(300), external: { dataset: 'acled', id: 'UKR2', revision: 300 } };
    evidence.given([submitted(ROW)]).when({ type: 'ReviseEvidence', revision: other }).thenThrows(InvalidCommandError);
    evidence.given([submitted(REPORT)]).when({ type: 'ReviseEvidence', revision: revision(300) }).thenThrows(ConflictError, /imported/);
    evidence
      .given([submitted(ROW), retracted('deleted from acled')])
      .when({ type: 'ReviseEvidence', revision: revision(300) })
      .thenThrows(ConflictError, /retract/);
    evidence.given([]).when({ type: 'ReviseEvidence', revision: revision(300) }).thenThrows(NotFoundError);
  });
});
