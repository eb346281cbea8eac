/**
 * Examples for the OpenAPI document, all from the seed scenario (The Moscow Times, 30 March
 * 2022, "Kremlin Sees No Breakthroughs at Ukraine Talks"): the pledge to "radically reduce
 * military activity" near Kyiv and Chernihiv, Peskov's claim about Crimea, and the reports of
 * heavy shelling that contradict the pledge.
 */
export const SEED_URL = 'https://www.themoscowtimes.com/2022/03/30/kremlin-sees-no-breakthroughs-at-ukraine-talks-a77146';
export const SEED_PUBLISHER = 'The Moscow Times';

export const EX = {
  claimId: '3f6c2a54-8d0e-4b1a-9c57-2e4f1d9a7b10',
  crimeaClaimId: '8a1d5e02-6c3b-4f7e-a1d4-5b9c0e2f3a68',
  evidenceId: 'c41b7d93-2f5e-4a08-b6c1-7e3d9f0a2b54',
  reportId: 'e7a29c16-0b4d-4e83-9f25-1c6a8d3b7f02',
  apiKeyId: '5b0e9f47-1a2c-4d6e-8f3b-9c7a0d1e2f35',
  requestId: '0f9e8d7c-6b5a-4c3d-8e2f-1a0b9c8d7e6f',
  hash: '9b3f1c0e7a52d4e8b6a1f0c39d27e5b48a6c1d0f3e9b2a7c5d4e8f1a0b6c3d92',
  prevHash: '4e07d5a2c9b1f3e86a0d7c52b9e1f4a3d8c6b0e2f5a9d1c7b3e6f0a4d2c8b915',
  statement: 'Russian negotiators pledged to "radically reduce military activity" near Kyiv and the northern city of Chernihiv.',
  crimeaStatement: "We won't invade Crimea, it's part of Russia",
  speaker: { name: 'Vladimir Medinsky', affiliation: 'Russian negotiating delegation' },
  crimeaSpeaker: { name: 'Dmitry Peskov', affiliation: 'Kremlin' },
  madeAt: '2022-03-29T14:00:00+03:00',
  publishedAt: '2022-03-30T12:00:00+03:00',
  observedAt: '2022-03-30T08:00:00+03:00',
  kyiv: { name: 'Kyiv', lat: 50.4501, lon: 30.5234 },
  chernihiv: { name: 'Chernihiv', lat: 51.4982, lon: 31.2893 },
  evidenceSummary: "Local officials reported heavy shelling near Chernihiv well after Tuesday's announcement.",
  reason: 'The officials quoted later said the shelling they reported was outside the Chernihiv region.',
} as const;

export const SOURCE_EXAMPLE = { url: SEED_URL, publisher: SEED_PUBLISHER, publishedAt: EX.publishedAt };

export const PLEDGE_EXAMPLE = {
  kind: 'pledge',
  statement: EX.statement,
  speaker: EX.speaker,
  madeAt: EX.madeAt,
  source: SOURCE_EXAMPLE,
  topics: ['Ukraine', 'peace talks'],
  scope: {
    places: [{ ...EX.kyiv, radiusKm: 30 }, { ...EX.chernihiv, radiusKm: 30 }],
    indicators: ['shelling', 'airstrike'],
    from: EX.madeAt,
    expectation: 'absence',
  },
};

export const CRIMEA_CLAIM_EXAMPLE = {
  kind: 'claim',
  statement: EX.crimeaStatement,
  speaker: EX.crimeaSpeaker,
  madeAt: EX.publishedAt,
  source: { url: SEED_URL, publisher: SEED_PUBLISHER },
  topics: ['Crimea'],
};

export const EVIDENCE_EXAMPLE = {
  stance: 'contradicts',
  summary: EX.evidenceSummary,
  source: SOURCE_EXAMPLE,
  observedAt: EX.observedAt,
  reliability: 'B',
  credibility: 2,
  places: [EX.chernihiv],
  indicators: ['shelling'],
};

/** A field report: the same facts without a stance (the matcher gives it one per pledge). */
const { stance: _stance, ...EVIDENCE_FACTS } = EVIDENCE_EXAMPLE;
export const REPORT_EXAMPLE = {
  ...EVIDENCE_FACTS,
  summary: 'Heavy shelling reported on the outskirts of Chernihiv on the night after the Istanbul talks.',
};

export const METADATA_EXAMPLE = {
  actor: { kind: 'api-key', id: EX.apiKeyId, name: 'newsroom desk', role: 'checker' },
  correlationId: EX.requestId,
  causationId: null,
};
