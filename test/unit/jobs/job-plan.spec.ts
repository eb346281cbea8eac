import { planJobs, QUEUE_NAMES, QueueNames } from '../../../src/jobs/job-plan';
import type { EventType, StoredEvent } from '../../../src/domain/events';

const CLAIM = '0b9c3a52-6d0e-4c55-9d1e-2f4d8c1a7e01';
const EVIDENCE = 'e7f1d6c2-1a3b-4c5d-8e9f-0a1b2c3d4e5f';
const HASH12 = 'f'.repeat(12);

function stored(type: EventType, streamId: string, data: unknown, position = 7, correlationId = 'corr-1'): StoredEvent {
  return {
    position,
    streamId,
    streamVersion: 1,
    type,
    data,
    metadata: { actor: { kind: 'system', name: 'test' }, correlationId, causationId: null },
    recordedAt: '2022-03-30T09:00:00.000Z',
    prevHash: '0'.repeat(64),
    hash: 'f'.repeat(64),
  } as StoredEvent;
}

const scope = {
  places: [{ name: 'Chernihiv', lat: 51.4982, lon: 31.2893 }],
  indicators: ['shelling'],
  from: '2022-03-29T14:00:00+03:00',
  expectation: 'absence',
};

const evidenceData = (claimId: string | null, stance?: string) => ({
  claimId,
  ...(stance ? { stance } : {}),
  summary: 'Shelling near Chernihiv',
  source: { url: 'https://example.org/a' },
  observedAt: '2022-03-30T08:00:00+03:00',
  reliability: 'A',
  credibility: 1,
});

describe('planJobs', () => {
  it('names one queue per kind of work, as the README lists them', () => {
    expect(QueueNames).toEqual({ attach: 'evidence-attach', matchReport: 'report-match', matchPledge: 'pledge-match', detach: 'evidence-detach', rematch: 'report-rematch' });
    expect([...QUEUE_NAMES].sort()).toEqual(['evidence-attach', 'evidence-detach', 'pledge-match', 'report-match', 'report-rematch']);
  });

  it('evidence for a claim → one attach job carrying the evidence and claim ids', () => {
    const jobs = planJobs(stored('EvidenceSubmitted', `evidence-${EVIDENCE}`, evidenceData(CLAIM, 'contradicts'), 12, 'req-42'));
    expect(jobs).toEqual([
      {
        queue: 'evidence-attach',
        jobId: 'evidence-attach_ffffffffffff_12',
        data: { position: 12, correlationId: 'req-42', evidenceId: EVIDENCE, claimId: CLAIM },
      },
    ]);
  });

  it('a report (claimId null) → one report-match job, with no claim', () => {
    const jobs = planJobs(stored('EvidenceSubmitted', `evidence-${EVIDENCE}`, evidenceData(null), 3));
    expect(jobs).toEqual([{ queue: 'report-match', jobId: 'report-match_ffffffffffff_3', data: { position: 3, correlationId: 'corr-1', evidenceId: EVIDENCE } }]);
    expect(jobs[0].data).not.toHaveProperty('claimId');
  });

  it('a pledge with a scope → one pledge-match job for that pledge', () => {
    const jobs = planJobs(stored('ClaimRecorded', `claim-${CLAIM}`, { kind: 'pledge', statement: 's', scope }, 5));
    expect(jobs).toEqual([{ queue: 'pledge-match', jobId: 'pledge-match_ffffffffffff_5', data: { position: 5, correlationId: 'corr-1', claimId: CLAIM } }]);
  });

  it.each([
    ['a plain claim', { kind: 'claim', statement: 's', scope: null }],
    ['a pledge without scope', { kind: 'pledge', statement: 's', scope: null }],
  ])('%s → no job (nothing to match)', (_label, data) => {
    expect(planJobs(stored('ClaimRecorded', `claim-${CLAIM}`, data))).toEqual([]);
  });

  it('a retraction → one detach job for the evidence', () => {
    const jobs = planJobs(stored('EvidenceRetracted', `evidence-${EVIDENCE}`, { reason: 'wrong town' }, 9));
    expect(jobs).toEqual([{ queue: 'evidence-detach', jobId: 'evidence-detach_ffffffffffff_9', data: { position: 9, correlationId: 'corr-1', evidenceId: EVIDENCE } }]);
  });

  it('a revision of an imported report → one report-rematch job for the evidence', () => {
    const data = { summary: 's', source: { url: 'https://acleddata.com/#X1' }, observedAt: '2022-03-30T00:00:00Z', reliability: 'B', credibility: 2, external: { dataset: 'acled', id: 'X1', revision: 2 } };
    const jobs = planJobs(stored('EvidenceRevised', `evidence-${EVIDENCE}`, data, 11));
    expect(jobs).toEqual([{ queue: 'report-rematch', jobId: 'report-rematch_ffffffffffff_11', data: { position: 11, correlationId: 'corr-1', evidenceId: EVIDENCE } }]);
  });

  it.each(['EvidenceAttached', 'EvidenceDetached', 'VerificationStatusChanged'] as EventType[])(
    'the jobs’ own output (%s) plans no further work, so work never loops',
    (type) => {
      expect(planJobs(stored(type, `claim-${CLAIM}`, { evidenceId: EVIDENCE, stance: 'contradicts', attachedBy: 'matcher' }))).toEqual([]);
    },
  );

  it('names the ledger in the job id (event hash before the position), so two logs behind one Redis prefix never collide', () => {
    const e = stored('EvidenceRetracted', `evidence-${EVIDENCE}`, { reason: 'r' }, 9);
    const other = { ...e, hash: 'a'.repeat(64) } as StoredEvent;
    expect(planJobs(e)[0].jobId).not.toBe(planJobs(other)[0].jobId);
    expect(planJobs(other)[0].jobId).toBe(`evidence-detach_${'a'.repeat(12)}_9`);
  });

  it('is deterministic: the same event always plans the same job ids and data (a second dispatcher adds duplicates BullMQ ignores)', () => {
    const e = stored('EvidenceSubmitted', `evidence-${EVIDENCE}`, evidenceData(CLAIM, 'supports'), 44);
    expect(planJobs(e)).toEqual(planJobs(JSON.parse(JSON.stringify(e)) as StoredEvent));
  });

  it('gives every event position its own job id, unique across the queues of a log', () => {
    const log: StoredEvent[] = [
      stored('ClaimRecorded', `claim-${CLAIM}`, { kind: 'pledge', statement: 's', scope }, 1),
      stored('EvidenceSubmitted', `evidence-${EVIDENCE}`, evidenceData(null), 2),
      stored('EvidenceSubmitted', 'evidence-11111111-1111-4111-8111-111111111111', evidenceData(CLAIM, 'supports'), 3),
      stored('EvidenceAttached', `claim-${CLAIM}`, { evidenceId: EVIDENCE, stance: 'contradicts', attachedBy: 'matcher' }, 4),
      stored('EvidenceRetracted', `evidence-${EVIDENCE}`, { reason: 'r' }, 5),
    ];
    const ids = log.flatMap(planJobs).map((j) => j.jobId);
    expect(ids).toEqual([`pledge-match_${HASH12}_1`, `report-match_${HASH12}_2`, `evidence-attach_${HASH12}_3`, `evidence-detach_${HASH12}_5`]);
    expect(new Set(ids).size).toBe(ids.length);
    // BullMQ job ids must not contain ':' (its key separator) and must not be plain integers.
    for (const id of ids) {
      expect(id).not.toContain(':');
      expect(id).not.toMatch(/^\d+$/);
    }
  });

  it('keeps the hyphens of an id: only the stream prefix up to the first "-" is dropped', () => {
    const [job] = planJobs(stored('EvidenceRetracted', `evidence-${EVIDENCE}`, { reason: 'r' }));
    expect(job.data.evidenceId).toBe(EVIDENCE);
  });

  it('does not mutate the event', () => {
    const e = stored('EvidenceSubmitted', `evidence-${EVIDENCE}`, evidenceData(CLAIM, 'supports'));
    const before = JSON.stringify(e);
    planJobs(e);
    expect(JSON.stringify(e)).toBe(before);
  });
});
