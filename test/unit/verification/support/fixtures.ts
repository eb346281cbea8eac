import type { ClaimRecordedData, EvidenceSubmittedData } from '../../../../src/domain/events';
import type { Scope } from '../../../../src/domain/types';
import type { JobData } from '../../../../src/verification/job-kinds';

export const CLAIM = '0b9c3a52-6d0e-4c55-9d1e-2f4d8c1a7e01';
export const PLEDGE = '1c2d3e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f';
export const OTHER_PLEDGE = '2d3e4f5a-6b7c-4d8e-9f0a-1b2c3d4e5f60';
export const E1 = '11111111-1111-4111-8111-111111111111';
export const E2 = '22222222-2222-4222-8222-222222222222';
export const E3 = '33333333-3333-4333-8333-333333333333';

export const CHERNIHIV_ABSENCE: Scope = {
  places: [{ name: 'Chernihiv', lat: 51.4982, lon: 31.2893 }],
  indicators: ['shelling', 'airstrike'],
  from: '2022-03-29T14:00:00+03:00',
  expectation: 'absence',
};

export function claim(overrides: Partial<ClaimRecordedData> = {}): ClaimRecordedData {
  return {
    kind: 'claim',
    statement: "We won't invade Crimea, it's part of Russia",
    speaker: { name: 'Dmitry Peskov', affiliation: 'Kremlin' },
    madeAt: '2022-03-30T12:00:00+03:00',
    source: { url: 'https://www.themoscowtimes.com/2022/03/30/kremlin-sees-no-breakthroughs-at-ukraine-talks-a77146' },
    topics: ['Crimea'],
    scope: null,
    ...overrides,
  };
}

export function pledge(scope: Scope = CHERNIHIV_ABSENCE): ClaimRecordedData {
  return claim({
    kind: 'pledge',
    statement: 'Russian negotiators pledged to "radically reduce military activity" near Kyiv and Chernihiv.',
    speaker: { name: 'Vladimir Medinsky' },
    madeAt: '2022-03-29T14:00:00+03:00',
    topics: ['Ukraine'],
    scope,
  });
}

/** Evidence a checker sends for one claim, with their stance. */
export function checked(claimId: string, overrides: Partial<EvidenceSubmittedData> = {}): EvidenceSubmittedData {
  return {
    claimId,
    stance: 'contradicts',
    summary: 'Troops seen crossing into Crimea',
    source: { url: 'https://example.org/crimea' },
    observedAt: '2022-03-31T10:00:00+03:00',
    reliability: 'A',
    credibility: 1,
    ...overrides,
  };
}

/** A field report: no claim, no stance; places and indicators for the matcher. */
export function report(overrides: Partial<EvidenceSubmittedData> = {}): EvidenceSubmittedData {
  return {
    claimId: null,
    summary: 'Shelling in Chernihiv overnight',
    source: { url: 'https://example.org/chernihiv' },
    observedAt: '2022-03-30T08:00:00+03:00',
    reliability: 'A',
    credibility: 1,
    places: [{ name: 'Chernihiv' }],
    indicators: ['shelling'],
    ...overrides,
  };
}

export function job(data: Partial<JobData>): JobData {
  return { position: 42, correlationId: 'req-42', ...data };
}
