import fc from 'fast-check';
import type {
  Credibility,
  Reliability,
  SourceRef,
  Stance,
  VerificationStatus,
} from '../../../src/domain/types';
import { VERIFICATION_STATUSES } from '../../../src/domain/types';
import {
  CREDIBILITY_WEIGHT,
  RELIABILITY_WEIGHT,
  VERDICT_RULE,
  computeVerdict,
  evidenceWeight,
  publisherOf,
  type EvidenceFact,
} from '../../../src/domain/verdict';

/** `code` is reliability+credibility, e.g. 'B2'; `who` a publisher name or, if it has ://, a URL. */
function fact(evidenceId: string, stance: Stance, code: string, who: string): EvidenceFact {
  const source: SourceRef = who.includes('://')
    ? { url: who }
    : { url: 'https://example.invalid/x', publisher: who };
  return {
    evidenceId,
    stance,
    reliability: code[0] as Reliability,
    credibility: Number(code.slice(1)) as Credibility,
    source,
  };
}
const sup = (id: string, code: string, who: string) => fact(id, 'supports', code, who);
const con = (id: string, code: string, who: string) => fact(id, 'contradicts', code, who);

describe('weights', () => {
  it.each<[Reliability, number]>([
    ['A', 1.0],
    ['B', 0.8],
    ['C', 0.6],
    ['D', 0.4],
    ['E', 0.2],
    ['F', 0.5],
  ])('reliability %s weighs %d', (r, w) => {
    expect(RELIABILITY_WEIGHT[r]).toBe(w);
    expect(evidenceWeight(r, 1)).toBe(w);
  });

  it.each<[Credibility, number]>([
    [1, 1.0],
    [2, 0.8],
    [3, 0.6],
    [4, 0.4],
    [5, 0.2],
    [6, 0.5],
  ])('credibility %d weighs %d', (c, w) => {
    expect(CREDIBILITY_WEIGHT[c]).toBe(w);
    expect(evidenceWeight('A', c)).toBe(w);
  });

  it('multiplies without float noise (B2 is exactly 0.64, not 0.6400000000000001)', () => {
    expect(evidenceWeight('B', 2)).toBe(0.64);
    expect(evidenceWeight('B', 5)).toBe(0.16);
    expect(evidenceWeight('F', 6)).toBe(0.25);
    expect(evidenceWeight('E', 5)).toBe(0.04);
  });

  it('rejects codes outside the tables instead of weighing them NaN', () => {
    expect(() => evidenceWeight('G' as Reliability, 1)).toThrow(RangeError);
    expect(() => evidenceWeight('A', 7 as Credibility)).toThrow(RangeError);
  });
});

describe('status table (first matching row wins)', () => {
  it('unverified: no evidence', () => {
    expect(computeVerdict([])).toEqual({
      status: 'unverified',
      support: 0,
      contradict: 0,
      basis: [],
      rule: 'verdict-v1',
    });
  });

  it('confirmed: X = 0, S >= 1.5, two independent supporting publishers', () => {
    const v = computeVerdict([sup('e1', 'A1', 'bbc'), sup('e2', 'A1', 'reuters')]);
    expect(v).toMatchObject({ status: 'confirmed', support: 2, contradict: 0 });
  });

  it('refuted: S = 0, X >= 1.5, two independent contradicting publishers', () => {
    const v = computeVerdict([con('e1', 'A1', 'bbc'), con('e2', 'A1', 'reuters')]);
    expect(v).toMatchObject({ status: 'refuted', support: 0, contradict: 2 });
  });

  it('supported: X = 0 but only one publisher', () => {
    expect(computeVerdict([sup('e1', 'A1', 'bbc')]).status).toBe('supported');
  });

  it('supported: S >= 3 × X with X > 0', () => {
    const v = computeVerdict([sup('e1', 'A1', 'bbc'), con('e2', 'E1', 'blog')]);
    expect(v).toMatchObject({ status: 'supported', support: 1, contradict: 0.2 });
  });

  it('contradicted: S = 0 but only one publisher', () => {
    expect(computeVerdict([con('e1', 'A1', 'bbc')]).status).toBe('contradicted');
  });

  it('contradicted: X >= 3 × S with S > 0', () => {
    const v = computeVerdict([con('e1', 'A1', 'bbc'), sup('e2', 'E1', 'blog')]);
    expect(v).toMatchObject({ status: 'contradicted', support: 0.2, contradict: 1 });
  });

  it('disputed: otherwise', () => {
    const v = computeVerdict([sup('e1', 'A1', 'bbc'), con('e2', 'A1', 'reuters')]);
    expect(v).toMatchObject({ status: 'disputed', support: 1, contradict: 1 });
  });

  it('confirmed needs X = 0: a tiny contradiction makes it merely supported', () => {
    const v = computeVerdict([sup('e1', 'A1', 'bbc'), sup('e2', 'A1', 'reuters'), con('e3', 'E5', 'blog')]);
    expect(v).toMatchObject({ status: 'supported', support: 2, contradict: 0.04 });
  });

  it('refuted needs S = 0: a tiny support makes it merely contradicted', () => {
    const v = computeVerdict([con('e1', 'A1', 'bbc'), con('e2', 'A1', 'reuters'), sup('e3', 'E5', 'blog')]);
    expect(v).toMatchObject({ status: 'contradicted', support: 0.04, contradict: 2 });
  });

  it('carries the rule id', () => {
    expect(VERDICT_RULE).toBe('verdict-v1');
    expect(computeVerdict([sup('e1', 'A1', 'bbc')]).rule).toBe('verdict-v1');
  });
});

describe('rounding and exact comparisons', () => {
  it('S exactly 3 × X (0.6 vs 0.2, where float 3 × 0.2 = 0.6000000000000001) is supported', () => {
    const v = computeVerdict([sup('e1', 'A3', 'bbc'), con('e2', 'E1', 'blog')]);
    expect(v).toMatchObject({ status: 'supported', support: 0.6, contradict: 0.2 });
  });

  it('S exactly 3 × X with products of two factors (B3 0.48 vs B5 0.16) is supported', () => {
    const v = computeVerdict([sup('e1', 'B3', 'bbc'), con('e2', 'B5', 'blog')]);
    expect(v).toMatchObject({ status: 'supported', support: 0.48, contradict: 0.16 });
  });

  it('X exactly 3 × S (0.6 vs 0.2) is contradicted', () => {
    const v = computeVerdict([con('e1', 'C1', 'bbc'), sup('e2', 'A5', 'blog')]);
    expect(v).toMatchObject({ status: 'contradicted', support: 0.2, contradict: 0.6 });
  });

  it('S just under 3 × X is disputed', () => {
    // S = 0.6 (A3), X = 0.24 (C4): 0.6 < 0.72
    const v = computeVerdict([sup('e1', 'A3', 'bbc'), con('e2', 'C4', 'blog')]);
    expect(v.status).toBe('disputed');
  });

  it('S exactly 1.5 from 1.0 + 0.5 (A1 + A6) is confirmed', () => {
    const v = computeVerdict([sup('e1', 'A1', 'bbc'), sup('e2', 'A6', 'reuters')]);
    expect(v).toMatchObject({ status: 'confirmed', support: 1.5 });
  });

  it('S exactly 1.5 from 0.64 + 0.36 + 0.5 (B2 + C3 + F1) is confirmed', () => {
    const v = computeVerdict([sup('e1', 'B2', 'a'), sup('e2', 'C3', 'b'), sup('e3', 'F1', 'c')]);
    expect(v).toMatchObject({ status: 'confirmed', support: 1.5 });
  });

  it('S = 1.48 (A1 + B3) stays supported', () => {
    const v = computeVerdict([sup('e1', 'A1', 'bbc'), sup('e2', 'B3', 'reuters')]);
    expect(v).toMatchObject({ status: 'supported', support: 1.48 });
  });

  it('X = 1.48 (A1 + B3) stays contradicted', () => {
    const v = computeVerdict([con('e1', 'A1', 'bbc'), con('e2', 'B3', 'reuters')]);
    expect(v).toMatchObject({ status: 'contradicted', contradict: 1.48 });
  });

  it('sums are returned with at most 3 decimals', () => {
    const v = computeVerdict([sup('e1', 'B2', 'a'), sup('e2', 'B2', 'b'), sup('e3', 'B2', 'c'), con('e4', 'D4', 'd')]);
    expect(v.support).toBe(1.92);
    expect(v.contradict).toBe(0.16);
  });
});

describe('independence', () => {
  it('one publisher twice on a stance counts its heaviest piece only', () => {
    const v = computeVerdict([sup('e1', 'C3', 'Reuters'), sup('e2', 'A1', 'reuters')]);
    expect(v).toMatchObject({ status: 'supported', support: 1, basis: ['e2'] });
  });

  it('two pieces of one publisher never confirm', () => {
    const v = computeVerdict([sup('e1', 'A1', 'bbc'), sup('e2', 'A1', 'bbc')]);
    expect(v).toMatchObject({ status: 'supported', support: 1, basis: ['e1'] });
  });

  it('equal weights from one publisher: the smallest evidenceId counts, in any order', () => {
    const a = sup('b-2', 'B2', 'bbc');
    const b = sup('a-1', 'B2', 'bbc');
    expect(computeVerdict([a, b]).basis).toEqual(['a-1']);
    expect(computeVerdict([b, a]).basis).toEqual(['a-1']);
  });

  it('a publisher counts once per stance, so it can count on both sides', () => {
    const v = computeVerdict([sup('e1', 'A1', 'bbc'), con('e2', 'B2', 'bbc')]);
    expect(v).toMatchObject({ support: 1, contradict: 0.64, basis: ['e1', 'e2'] });
  });

  it('publisher from the URL host: www. and no www. are one publisher', () => {
    const v = computeVerdict([
      sup('e1', 'A1', 'https://www.example.org/a'),
      sup('e2', 'A1', 'https://example.org/b'),
    ]);
    expect(v).toMatchObject({ status: 'supported', support: 1, basis: ['e1'] });
  });

  it('different hosts are different publishers', () => {
    const v = computeVerdict([
      sup('e1', 'A1', 'https://www.example.org/a'),
      sup('e2', 'A1', 'https://news.example.org/b'),
    ]);
    expect(v).toMatchObject({ status: 'confirmed', support: 2 });
  });

  it('publisher field: case and surrounding whitespace do not matter', () => {
    const v = computeVerdict([sup('e1', 'A1', '  The Kyiv Independent '), sup('e2', 'A1', 'the kyiv independent')]);
    expect(v).toMatchObject({ support: 1, basis: ['e1'] });
  });

  it('a duplicate evidenceId counts once', () => {
    const e = sup('e1', 'A1', 'bbc');
    const v = computeVerdict([e, { ...e }, con('e2', 'E1', 'blog')]);
    expect(v).toMatchObject({ support: 1, contradict: 0.2, basis: ['e1', 'e2'] });
  });

  it('basis is sorted ascending', () => {
    const v = computeVerdict([sup('z', 'A1', 'a'), con('m', 'A1', 'b'), sup('a', 'A1', 'c')]);
    expect(v.basis).toEqual(['a', 'm', 'z']);
  });
});

describe('publisherOf', () => {
  it.each<[SourceRef, string]>([
    [{ url: 'https://x.org', publisher: ' Reuters ' }, 'reuters'],
    [{ url: 'https://x.org', publisher: 'REUTERS' }, 'reuters'],
    [{ url: 'https://www.Example.ORG/path?q=1' }, 'example.org'],
    [{ url: 'https://example.org' }, 'example.org'],
    [{ url: 'http://WWW.example.org:8080/a' }, 'example.org'],
    [{ url: 'https://news.www.example.org/' }, 'news.www.example.org'],
    [{ url: 'https://example.org/', publisher: '   ' }, 'example.org'],
    [{ url: '  Not A URL  ' }, 'not a url'],
  ])('%j -> %s', (source, expected) => {
    expect(publisherOf(source)).toBe(expected);
  });
});

describe('seed scenario', () => {
  const first = con('ev-1', 'A1', 'https://www.kyivindependent.com/report-1');
  const second = con('ev-2', 'B2', 'https://www.reuters.com/world/report-2');

  it('one A1 contradicting report -> contradicted', () => {
    expect(computeVerdict([first])).toEqual({
      status: 'contradicted',
      support: 0,
      contradict: 1,
      basis: ['ev-1'],
      rule: 'verdict-v1',
    });
  });

  it('a second independent B2 contradicting report -> refuted (1.0 + 0.64 = 1.64, 2 publishers)', () => {
    expect(computeVerdict([first, second])).toEqual({
      status: 'refuted',
      support: 0,
      contradict: 1.64,
      basis: ['ev-1', 'ev-2'],
      rule: 'verdict-v1',
    });
  });

  it('retracting the second -> contradicted again', () => {
    const withBoth = computeVerdict([first, second]);
    const after = computeVerdict([first, second].filter((f) => f.evidenceId !== 'ev-2'));
    expect(withBoth.status).toBe('refuted');
    expect(after).toEqual(computeVerdict([first]));
    expect(after.status).toBe('contradicted');
  });
});

// ---------------------------------------------------------------------------------------------
// Properties

const reliabilityArb = fc.constantFrom<Reliability>('A', 'B', 'C', 'D', 'E', 'F');
const credibilityArb = fc.constantFrom<Credibility>(1, 2, 3, 4, 5, 6);
const stanceArb = fc.constantFrom<Stance>('supports', 'contradicts');
/** Few publishers, spelled several ways, so independence collisions are common. */
const sourceArb: fc.Arbitrary<SourceRef> = fc.constantFrom<SourceRef>(
  { url: 'https://www.alpha.org/1' },
  { url: 'https://alpha.org/2' },
  { url: 'https://x.test/3', publisher: ' Alpha.org ' },
  { url: 'https://beta.net/4' },
  { url: 'https://x.test/5', publisher: 'Gamma' },
  { url: 'https://x.test/6', publisher: 'GAMMA ' },
  { url: 'https://delta.com/7' },
  { url: 'not a url' },
);
const factWithId = (idArb: fc.Arbitrary<string>): fc.Arbitrary<EvidenceFact> =>
  fc.record({
    evidenceId: idArb,
    stance: stanceArb,
    reliability: reliabilityArb,
    credibility: credibilityArb,
    source: sourceArb,
  });
/** Ids from a small pool, so duplicates (even conflicting ones) occur. */
const factsArb = fc.array(factWithId(fc.constantFrom('e0', 'e1', 'e2', 'e3', 'e4', 'e5', 'e6', 'e7', 'e8', 'e9')), {
  maxLength: 12,
});
/** Facts with distinct ids, none starting with 'new-'. */
const uniqueFactsArb = fc.uniqueArray(factWithId(fc.stringMatching(/^e[0-9a-z]{1,4}$/)), {
  selector: (f) => f.evidenceId,
  maxLength: 12,
});

/** Position on the refuted..confirmed axis; unverified has none (handled separately). */
const RANK: Record<Exclude<VerificationStatus, 'unverified'>, number> = {
  refuted: 0,
  contradicted: 1,
  disputed: 2,
  supported: 3,
  confirmed: 4,
};

describe('verdict properties', () => {
  it('the order of evidence never changes the verdict', () => {
    fc.assert(
      fc.property(
        factsArb.chain((facts) => fc.tuple(fc.constant(facts), fc.shuffledSubarray(facts, { minLength: facts.length }))),
        ([facts, shuffled]) => {
          expect(computeVerdict(shuffled)).toEqual(computeVerdict(facts));
        },
      ),
      { numRuns: 500 },
    );
  });

  it('adding a supporting piece never moves toward refuted and never lowers S', () => {
    fc.assert(
      fc.property(uniqueFactsArb, reliabilityArb, credibilityArb, sourceArb, (facts, r, c, source) => {
        const before = computeVerdict(facts);
        const after = computeVerdict([
          ...facts,
          { evidenceId: 'new-support', stance: 'supports', reliability: r, credibility: c, source },
        ]);
        expect(after.support).toBeGreaterThanOrEqual(before.support);
        expect(after.contradict).toBe(before.contradict);
        expect(after.status).not.toBe('unverified');
        if (before.status === 'unverified') {
          expect(['supported', 'confirmed']).toContain(after.status);
        } else {
          const a = after.status as keyof typeof RANK;
          expect(RANK[a]).toBeGreaterThanOrEqual(RANK[before.status]);
        }
      }),
      { numRuns: 500 },
    );
  });

  it("a publisher's second piece never adds weight beyond its heaviest", () => {
    fc.assert(
      fc.property(
        reliabilityArb,
        credibilityArb,
        reliabilityArb,
        credibilityArb,
        stanceArb,
        sourceArb,
        (r1, c1, r2, c2, stance, source) => {
          const v = computeVerdict([
            { evidenceId: 'a', stance, reliability: r1, credibility: c1, source },
            { evidenceId: 'b', stance, reliability: r2, credibility: c2, source: { ...source } },
          ]);
          const heaviest = Math.max(evidenceWeight(r1, c1), evidenceWeight(r2, c2));
          expect(stance === 'supports' ? v.support : v.contradict).toBe(heaviest);
          expect(v.basis).toHaveLength(1);
        },
      ),
    );
  });

  it('status is always one of the six, basis is a sorted subset of the input ids, sums have 3 decimals', () => {
    fc.assert(
      fc.property(factsArb, (facts) => {
        const v = computeVerdict(facts);
        expect(VERIFICATION_STATUSES).toContain(v.status);
        const ids = new Set(facts.map((f) => f.evidenceId));
        for (const id of v.basis) expect(ids.has(id)).toBe(true);
        expect(v.basis).toEqual([...new Set(v.basis)].sort());
        for (const n of [v.support, v.contradict]) {
          expect(Math.round(n * 1000) / 1000).toBe(n);
        }
        expect(v.status === 'unverified').toBe(facts.length === 0);
      }),
      { numRuns: 500 },
    );
  });
});
