/**
 * Rule `verdict-v1`: turns a claim's attached, unretracted evidence into a verification status.
 * Pure and deterministic: the same set of facts gives the same verdict in any order, so a
 * replay of the log always reproduces the statuses it recorded. See shared contract VERDICT.md.
 */
import type {
  Credibility,
  Expectation,
  Reliability,
  SourceRef,
  Stance,
  VerificationStatus,
} from './types';

export const VERDICT_RULE = 'verdict-v1' as const;
/** verdict-v2: as verdict-v1, except for a pledge whose scope window has closed with nothing attached. */
export const VERDICT_RULE_V2 = 'verdict-v2' as const;
export type VerdictRule = typeof VERDICT_RULE | typeof VERDICT_RULE_V2;
export const VERDICT_RULES: readonly VerdictRule[] = [VERDICT_RULE, VERDICT_RULE_V2];

/**
 * verdict-v2 reason codes (VerificationStatusChanged.reason): which row of the table held, or
 * that a window closed with nothing attached. verdict-v1 events carry none.
 */
export const VerdictReasons = {
  noEvidence: 'no-evidence',
  independentSupport: 'independent-support',
  independentContradiction: 'independent-contradiction',
  supportOutweighs: 'support-outweighs-contradiction',
  contradictionOutweighs: 'contradiction-outweighs-support',
  conflicting: 'conflicting-evidence',
  windowClosedWithoutContraryReports: 'window-closed-without-contrary-reports',
  windowClosedWithoutReports: 'window-closed-without-reports',
} as const;
export type VerdictReason = (typeof VerdictReasons)[keyof typeof VerdictReasons];

/** Admiralty source reliability; F ("cannot be judged") sits in the middle, not at the bottom. */
export const RELIABILITY_WEIGHT: Readonly<Record<Reliability, number>> = Object.freeze({
  A: 1.0,
  B: 0.8,
  C: 0.6,
  D: 0.4,
  E: 0.2,
  F: 0.5,
});

/** Admiralty information credibility; 6 ("cannot be judged") likewise sits in the middle. */
export const CREDIBILITY_WEIGHT: Readonly<Record<Credibility, number>> = Object.freeze({
  1: 1.0,
  2: 0.8,
  3: 0.6,
  4: 0.4,
  5: 0.2,
  6: 0.5,
});

export interface EvidenceFact {
  evidenceId: string;
  stance: Stance;
  reliability: Reliability;
  credibility: Credibility;
  source: SourceRef;
}

export interface Verdict {
  status: VerificationStatus;
  /** S, rounded to 3 decimals. */
  support: number;
  /** X, rounded to 3 decimals. */
  contradict: number;
  /** Evidence ids that counted after independence, ascending. */
  basis: string[];
  rule: VerdictRule;
  /** verdict-v2 only: why, as a code (VerdictReasons). */
  reason?: VerdictReason;
}

/** What verdict-v2 knows besides the evidence: whether the pledge's window has closed, and what the pledge expects. */
export interface WindowFacts {
  closed: boolean;
  expectation: Expectation | null;
}

/** 1.5, the threshold for confirmed/refuted, in thousandths. */
const DECISIVE_MILLI = 1500;

/**
 * Weight in integer thousandths. All table entries are multiples of 0.1, so the product of
 * the two (each scaled to an integer by 1000) is an exact multiple of 1000: integer math here
 * means `0.8 × 0.8` is exactly 640, never 640.0000000000001.
 */
function weightMilli(reliability: Reliability, credibility: Credibility): number {
  // Fail loudly on a value the types forbid (e.g. unvalidated JSON) rather than weigh it as NaN.
  if (!Object.prototype.hasOwnProperty.call(RELIABILITY_WEIGHT, reliability)) {
    throw new RangeError(`unknown reliability: ${String(reliability)}`);
  }
  if (!Object.prototype.hasOwnProperty.call(CREDIBILITY_WEIGHT, credibility)) {
    throw new RangeError(`unknown credibility: ${String(credibility)}`);
  }
  const r = RELIABILITY_WEIGHT[reliability];
  const c = CREDIBILITY_WEIGHT[credibility];
  return Math.round((Math.round(r * 1000) * Math.round(c * 1000)) / 1000);
}

/** weight = reliability × credibility, as the nearest double to the exact 3-decimal value. */
export function evidenceWeight(reliability: Reliability, credibility: Credibility): number {
  return weightMilli(reliability, credibility) / 1000;
}

/**
 * Who published a piece of evidence, for independence. An explicit publisher wins (lower-cased,
 * trimmed); otherwise the URL's host name, so `www.example.org` and `example.org` are one
 * publisher. The port is ignored: it does not make a different publisher.
 */
export function publisherOf(source: SourceRef): string {
  const named = source.publisher?.trim().toLowerCase();
  if (named) return named;
  const raw = (source.url ?? '').trim();
  try {
    const host = new URL(raw).hostname.toLowerCase();
    if (host) return host.startsWith('www.') ? host.slice(4) : host;
  } catch {
    // Unparsable URL: fall through, so a bad source never breaks a verdict.
  }
  return raw.toLowerCase();
}

/** Code-unit order, independent of the runtime's locale. */
function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

interface WeighedFact {
  evidenceId: string;
  stance: Stance;
  publisher: string;
  milli: number;
}

/** Total order used wherever one of several candidates must be picked regardless of input order. */
function preferHeavier(a: WeighedFact, b: WeighedFact): number {
  return (
    b.milli - a.milli ||
    compareStrings(a.evidenceId, b.evidenceId) ||
    compareStrings(a.stance, b.stance) ||
    compareStrings(a.publisher, b.publisher)
  );
}

export function computeVerdict(facts: readonly EvidenceFact[]): Verdict {
  // One entry per evidenceId. Conflicting duplicates are a caller bug; picking by a total
  // order (not "first seen") keeps the verdict independent of input order even then.
  const byId = new Map<string, WeighedFact>();
  for (const f of facts) {
    const w: WeighedFact = {
      evidenceId: f.evidenceId,
      stance: f.stance,
      publisher: publisherOf(f.source),
      milli: weightMilli(f.reliability, f.credibility),
    };
    const seen = byId.get(w.evidenceId);
    if (!seen || preferHeavier(w, seen) < 0) byId.set(w.evidenceId, w);
  }

  if (byId.size === 0) {
    return { status: 'unverified', support: 0, contradict: 0, basis: [], rule: VERDICT_RULE };
  }

  // Independence: per stance, a publisher counts once, with its heaviest piece
  // (equal weights: the smallest evidenceId).
  const chosen = new Map<string, WeighedFact>();
  for (const w of byId.values()) {
    const key = `${w.stance}\u0000${w.publisher}`;
    const seen = chosen.get(key);
    if (!seen || preferHeavier(w, seen) < 0) chosen.set(key, w);
  }

  let sMilli = 0;
  let xMilli = 0;
  let supportPublishers = 0;
  let contradictPublishers = 0;
  for (const w of chosen.values()) {
    if (w.stance === 'supports') {
      sMilli += w.milli;
      supportPublishers += 1;
    } else {
      xMilli += w.milli;
      contradictPublishers += 1;
    }
  }

  return {
    status: statusFor(sMilli, xMilli, supportPublishers, contradictPublishers),
    // Sums of exact thousandths: already "rounded to 3 decimals".
    support: sMilli / 1000,
    contradict: xMilli / 1000,
    basis: [...chosen.values()].map((w) => w.evidenceId).sort(compareStrings),
    rule: VERDICT_RULE,
  };
}

/**
 * Rule `verdict-v2` (VERDICT.md, "Windows that close"): verdict-v1, except that a pledge whose
 * window has closed with no attached, unretracted evidence is `supported` (expected absence) or
 * `contradicted` (expected presence). Every verdict carries a reason code.
 */
export function computeVerdictV2(facts: readonly EvidenceFact[], window: WindowFacts): Verdict {
  const v1 = computeVerdict(facts);
  if (v1.basis.length === 0 && window.closed && window.expectation) {
    return window.expectation === 'absence'
      ? { ...v1, status: 'supported', rule: VERDICT_RULE_V2, reason: VerdictReasons.windowClosedWithoutContraryReports }
      : { ...v1, status: 'contradicted', rule: VERDICT_RULE_V2, reason: VerdictReasons.windowClosedWithoutReports };
  }
  return { ...v1, rule: VERDICT_RULE_V2, reason: reasonFor(v1) };
}

/** The verdict under the named rule (a replay recomputes each recorded status with the rule its event names). */
export function computeVerdictBy(rule: string, facts: readonly EvidenceFact[], window: WindowFacts): Verdict {
  if (rule === VERDICT_RULE) return computeVerdict(facts);
  if (rule === VERDICT_RULE_V2) return computeVerdictV2(facts, window);
  throw new RangeError(`unknown verdict rule: ${rule}`);
}

function reasonFor(v: Verdict): VerdictReason {
  switch (v.status) {
    case 'unverified':
      return VerdictReasons.noEvidence;
    case 'confirmed':
      return VerdictReasons.independentSupport;
    case 'refuted':
      return VerdictReasons.independentContradiction;
    case 'supported':
      return VerdictReasons.supportOutweighs;
    case 'contradicted':
      return VerdictReasons.contradictionOutweighs;
    case 'disputed':
      return VerdictReasons.conflicting;
  }
}

/** The status table; first row that holds wins. Integer thousandths, so no float noise. */
function statusFor(s: number, x: number, supportPubs: number, contradictPubs: number): VerificationStatus {
  if (x === 0 && s >= DECISIVE_MILLI && supportPubs >= 2) return 'confirmed';
  if (s === 0 && x >= DECISIVE_MILLI && contradictPubs >= 2) return 'refuted';
  if (x === 0 || s >= 3 * x) return 'supported';
  if (s === 0 || x >= 3 * s) return 'contradicted';
  return 'disputed';
}
