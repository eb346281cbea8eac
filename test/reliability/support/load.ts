import { crimeaClaimBody, evidenceBody, pledgeBody, reportBody, unrelatedReportBody } from '../../support/app';
import type { Client, HttpAnswer } from './client';

/**
 * Concurrent writers for the crash and outage specs. Every write carries an Idempotency-Key and a
 * marker (its key, in the statement, summary or reason), so afterwards each can be found in the
 * feed and counted: acknowledged ones exactly once, unanswered ones at most once.
 */

export type WriteKind = 'claim' | 'pledge' | 'evidence' | 'report' | 'retract';

export interface Write {
  idemKey: string;
  kind: WriteKind;
  method: 'POST';
  path: string;
  body: Record<string, unknown>;
  /** acked: a 2xx came back; refused: another status; unanswered: the connection failed. */
  outcome: 'pending' | 'acked' | 'refused' | 'unanswered';
  status?: number;
  answer?: HttpAnswer;
  error?: string;
  /** For evidence: the claim it is for; for a retraction: the evidence. */
  target?: string;
}

export const markerOf = (w: Pick<Write, 'idemKey'>): string => `[${w.idemKey}]`;

/** The marker an event carries, if it was written by one of our writers. */
export function markerIn(e: { type: string; data: unknown }): string | null {
  const d = e.data as Record<string, unknown>;
  const text = e.type === 'ClaimRecorded' ? d.statement : e.type === 'EvidenceSubmitted' ? d.summary : e.type === 'EvidenceRetracted' ? d.reason : null;
  const m = typeof text === 'string' ? /\[([A-Za-z0-9_.:-]+)\]/.exec(text) : null;
  return m ? m[0] : null;
}

export interface LoadOptions {
  label: string;
  writers: number;
  /** Stop starting new writes once this returns true. */
  stop: () => boolean;
  /** Fraction of writes that are evidence for an acknowledged claim (default 0.5). */
  evidenceShare?: number;
  /** Include retractions of acknowledged evidence (default true). */
  retractions?: boolean;
  /** Make reports that match the seed pledges (default: half of them). */
  matchingReports?: boolean;
  /** Every write is pushed here as it starts (so a caller can watch the load as it goes). */
  into?: Write[];
}

/** Runs `writers` loops until stop(); returns every write attempted, with its outcome. */
export async function runWriters(clients: Client[], o: LoadOptions): Promise<Write[]> {
  const writes: Write[] = o.into ?? [];
  const ackedClaims: string[] = [];
  const ackedEvidence: string[] = [];
  const retracted = new Set<string>();
  let seq = 0;
  const pick = <T>(xs: T[]): T => xs[Math.floor(Math.random() * xs.length)];

  const next = (writer: number): Write => {
    const n = seq++;
    const idemKey = `${o.label}-${writer}-${n}`;
    const marker = `[${idemKey}]`;
    const r = Math.random();
    const evidenceShare = o.evidenceShare ?? 0.5;
    if (ackedClaims.length > 0 && r < evidenceShare) {
      const claimId = pick(ackedClaims);
      const body = evidenceBody({
        stance: n % 3 === 0 ? 'supports' : 'contradicts',
        summary: `Observation ${marker}`,
        source: { url: `https://outlet-${n % 7}.example/${o.label}/${n}`, publisher: `Outlet ${n % 7}` },
        reliability: 'ABCDEF'[n % 6],
        credibility: (n % 6) + 1,
      });
      return { idemKey, kind: 'evidence', method: 'POST', path: `/api/claims/${claimId}/evidence`, body, outcome: 'pending', target: claimId };
    }
    const candidates = ackedEvidence.filter((id) => !retracted.has(id));
    if ((o.retractions ?? true) && candidates.length > 0 && r < evidenceShare + 0.08) {
      const evidenceId = pick(candidates);
      retracted.add(evidenceId);
      return { idemKey, kind: 'retract', method: 'POST', path: `/api/evidence/${evidenceId}/retract`, body: { reason: `withdrawn ${marker}` }, outcome: 'pending', target: evidenceId };
    }
    if (r < evidenceShare + 0.2) {
      const matching = o.matchingReports ?? n % 2 === 0;
      const body = (matching ? reportBody : unrelatedReportBody)({ summary: `Report ${marker}`, source: { url: `https://wire-${n % 5}.example/${n}` } });
      return { idemKey, kind: 'report', method: 'POST', path: '/api/reports', body, outcome: 'pending' };
    }
    if (n % 4 === 0) {
      return { idemKey, kind: 'pledge', method: 'POST', path: '/api/claims', body: pledgeBody({ statement: `Pledge ${marker}` }), outcome: 'pending' };
    }
    return { idemKey, kind: 'claim', method: 'POST', path: '/api/claims', body: crimeaClaimBody({ statement: `Claim ${marker}` }), outcome: 'pending' };
  };

  await Promise.all(
    Array.from({ length: o.writers }, async (_, writer) => {
      const client = clients[writer % clients.length];
      while (!o.stop()) {
        const w = next(writer);
        writes.push(w);
        try {
          const res = await client.post(w.path, w.body, { headers: { 'idempotency-key': w.idemKey } });
          w.status = res.status;
          w.answer = res;
          w.outcome = res.status >= 200 && res.status < 300 ? 'acked' : 'refused';
          if (w.outcome === 'acked' && (w.kind === 'claim' || w.kind === 'pledge')) ackedClaims.push(res.body.id);
          if (w.outcome === 'acked' && (w.kind === 'evidence' || w.kind === 'report')) ackedEvidence.push(res.body.evidenceId);
        } catch (err) {
          w.outcome = 'unanswered';
          w.error = (err as Error).message;
          // The service is gone: do not spin on connection refusals.
          await new Promise((r) => setTimeout(r, 20));
        }
      }
    }),
  );
  return writes;
}

/** The id a write's answer names (claim id or evidence id). */
export function idOf(w: Write): string | null {
  const b = w.answer?.body as Record<string, unknown> | undefined;
  if (!b) return null;
  return (w.kind === 'claim' || w.kind === 'pledge' ? b.id : b.evidenceId) as string;
}
