import { RequestValidationError } from '../../../src/common/http/request-validation.error';
import { claimStreamId, evidenceStreamId, type ClaimRecordedData, type EvidenceSubmittedData, type NewEvent } from '../../../src/domain/events';
import type { Scope } from '../../../src/domain/types';
import { readModelProjectors } from '../../../src/projections';
import { CLAIMS_LIST_TABLES } from '../../../src/projections/claims-list/tables';
import { claimCountsByStatus, listClaimsJson } from '../../../src/projections/claims-list/queries';
import { EVIDENCE_TABLES } from '../../../src/projections/evidence/tables';
import {
  attachmentsOfEvidence,
  claimsAttachedTo,
  evidenceDataByIds,
  evidenceSubmittedForClaimAfter,
  unretractedReports,
} from '../../../src/projections/evidence/queries';
import { PLEDGE_SCOPES_TABLES } from '../../../src/projections/pledge-scopes/tables';
import { MERKLE_TREE_TABLES } from '../../../src/projections/merkle-tree/tables';
import { allPledgeScopes, pledgeScopeOf } from '../../../src/projections/pledge-scopes/queries';
import { openLedger, testMetadata, type TestLedger } from '../../support/ledger';

/**
 * Each read model's queries against what its projector wrote: events appended through the real
 * event store (the projectors run in the append's transaction) on a real SQLite file.
 */

const scopeA: Scope = { places: [{ name: 'Kharkiv' }], indicators: ['shelling'], from: '2025-01-01', expectation: 'absence' };
const scopeB: Scope = { places: [{ name: 'Odesa', lat: 46.48, lon: 30.72, radiusKm: 20 }], indicators: ['port'], from: '2025-02-01', until: '2025-12-31', expectation: 'presence' };

function claim(kind: 'claim' | 'pledge', statement: string, extra: Partial<ClaimRecordedData> = {}): ClaimRecordedData {
  return {
    kind,
    statement,
    speaker: { name: 'Ana Lopes' },
    madeAt: '2025-01-01T00:00:00.000Z',
    source: { url: 'https://example.org/s' },
    topics: ['Security'],
    scope: null,
    ...extra,
  };
}

function evidence(claimId: string | null, summary: string): EvidenceSubmittedData {
  return {
    claimId,
    ...(claimId ? { stance: 'supports' as const } : {}),
    summary,
    source: { url: `https://example.org/${encodeURIComponent(summary)}` },
    observedAt: '2025-03-01T00:00:00.000Z',
    reliability: 'B',
    credibility: 2,
    ...(claimId ? {} : { places: [{ name: 'Kharkiv' }], indicators: ['shelling'] }),
  };
}

describe('read models: tables, projectors and queries', () => {
  let l: TestLedger;
  const append = (streamId: string, events: NewEvent[]) => l.store.append({ streamId, expectedVersion: 'any', events, metadata: testMetadata() });

  beforeEach(async () => {
    l = await openLedger();
    for (const p of readModelProjectors()) l.store.registerProjector(p);
  });
  afterEach(async () => {
    await l.close();
  });

  it('the projectors own disjoint tables (the Merkle tree one of them)', () => {
    const owned = readModelProjectors().map((p) => [...p.tables]);
    for (const tables of [CLAIMS_LIST_TABLES, PLEDGE_SCOPES_TABLES, EVIDENCE_TABLES, MERKLE_TREE_TABLES]) expect(owned).toContainEqual([...tables]);
    expect(new Set(owned.flat()).size).toBe(owned.flat().length);
    expect(owned.flat()).toEqual(expect.arrayContaining(['attachments', 'claim_topics', 'claims', 'evidence', 'merkle_nodes', 'pledge_scopes']));
  });

  it('pledge scopes: all in log order; one by claim; null for a claim, a pledge without scope or no claim', async () => {
    await append(claimStreamId('p2'), [{ type: 'ClaimRecorded', data: claim('pledge', 'second', { scope: scopeB }) }]);
    await append(claimStreamId('c1'), [{ type: 'ClaimRecorded', data: claim('claim', 'a claim', { scope: scopeA }) }]);
    await append(claimStreamId('p1'), [{ type: 'ClaimRecorded', data: claim('pledge', 'first', { scope: scopeA }) }]);
    await append(claimStreamId('p0'), [{ type: 'ClaimRecorded', data: claim('pledge', 'no scope') }]);

    expect(await allPledgeScopes(l.ds)).toEqual([
      { claimId: 'p2', scope: scopeB },
      { claimId: 'p1', scope: scopeA },
    ]);
    expect(await pledgeScopeOf(l.ds, 'p1')).toEqual(scopeA);
    expect(await pledgeScopeOf(l.ds, 'c1')).toBeNull();
    expect(await pledgeScopeOf(l.ds, 'p0')).toBeNull();
    expect(await pledgeScopeOf(l.ds, 'nope')).toBeNull();
  });

  it('evidence: unretracted reports in log order, data by ids (missing ones absent), attachments, the If-Match guard query', async () => {
    await append(claimStreamId('c1'), [{ type: 'ClaimRecorded', data: claim('claim', 'one') }]);
    await append(claimStreamId('c2'), [{ type: 'ClaimRecorded', data: claim('claim', 'two') }]);
    const r1 = evidence(null, 'report one');
    const r2 = evidence(null, 'report two');
    const r3 = evidence(null, 'report three');
    const e1 = evidence('c1', 'for c1');
    await append(evidenceStreamId('r1'), [{ type: 'EvidenceSubmitted', data: r1 }]);
    const afterR1 = await append(evidenceStreamId('e1'), [{ type: 'EvidenceSubmitted', data: e1 }]);
    await append(evidenceStreamId('r2'), [{ type: 'EvidenceSubmitted', data: r2 }]);
    await append(evidenceStreamId('r3'), [{ type: 'EvidenceSubmitted', data: r3 }]);
    await append(evidenceStreamId('r2'), [{ type: 'EvidenceRetracted', data: { reason: 'wrong place' } }]);

    expect(await unretractedReports(l.ds)).toEqual([
      { evidenceId: 'r1', data: r1 },
      { evidenceId: 'r3', data: r3 },
    ]);

    const byIds = await evidenceDataByIds(l.ds, ['e1', 'missing', 'r2']);
    expect([...byIds.entries()].sort()).toEqual([
      ['e1', e1],
      ['r2', r2],
    ]);
    // More ids than one IN list takes: every chunk is asked.
    const many = [...Array.from({ length: 1200 }, (_, i) => `absent-${i}`), 'r3', 'r1'];
    expect([...(await evidenceDataByIds(l.ds, many)).keys()].sort()).toEqual(['r1', 'r3']);
    expect((await evidenceDataByIds(l.ds, [])).size).toBe(0);

    await append(claimStreamId('c1'), [{ type: 'EvidenceAttached', data: { evidenceId: 'r1', stance: 'contradicts', attachedBy: 'matcher' } }]);
    const attachedToC2 = await append(claimStreamId('c2'), [{ type: 'EvidenceAttached', data: { evidenceId: 'r1', stance: 'supports', attachedBy: 'checker' } }]);
    await append(claimStreamId('c1'), [{ type: 'EvidenceDetached', data: { evidenceId: 'r1', reason: 'retracted' } }]);
    expect(await claimsAttachedTo(l.ds, 'r1')).toEqual(['c2']);
    expect(await claimsAttachedTo(l.ds, 'r3')).toEqual([]);
    const rows = await attachmentsOfEvidence(l.ds, 'r1');
    expect(rows).toEqual([
      { claim_id: 'c1', stance: 'contradicts', attached_by: 'matcher', attached_at: expect.any(String), attached_position: attachedToC2.position - 1, detached_position: attachedToC2.position + 1 },
      { claim_id: 'c2', stance: 'supports', attached_by: 'checker', attached_at: attachedToC2.events[0].recordedAt, attached_position: attachedToC2.position, detached_position: null },
    ]);

    await l.store.transaction(async (tx) => {
      expect(await evidenceSubmittedForClaimAfter(tx, 'c1', 0)).toEqual({ position: afterR1.position });
      expect(await evidenceSubmittedForClaimAfter(tx, 'c1', afterR1.position)).toBeUndefined();
      expect(await evidenceSubmittedForClaimAfter(tx, 'c2', 0)).toBeUndefined();
    });
  });

  it('claims list: filters, newest first, keyset pages; a bad cursor is refused; counts by status', async () => {
    const ids = ['a', 'b', 'c', 'd'];
    await append(claimStreamId('a'), [{ type: 'ClaimRecorded', data: claim('claim', '  Troops WITHDRAWN 100% ', { topics: ['Security', ' security', 'Economy'] }) }]);
    await append(claimStreamId('b'), [{ type: 'ClaimRecorded', data: claim('pledge', 'Ports reopen (sts route)', { speaker: { name: 'Bo Ek' }, scope: scopeB }) }]);
    await append(claimStreamId('c'), [{ type: 'ClaimRecorded', data: claim('claim', 'Troops_stay', { topics: ['Economy'] }) }]);
    await append(claimStreamId('d'), [{ type: 'ClaimRecorded', data: claim('claim', 'Prices fall 100 points') }]);
    await append(claimStreamId('c'), [
      { type: 'VerificationStatusChanged', data: { from: 'unverified', to: 'refuted', support: 0, contradict: 1, basis: [], rule: 'verdict-v1' } },
    ]);

    const list = async (q: Parameters<typeof listClaimsJson>[1]) => JSON.parse(await listClaimsJson(l.ds, q));
    const all = await list({});
    expect(all.items.map((i: { id: string }) => i.id)).toEqual([...ids].reverse());
    expect(all.nextCursor).toBeNull();
    const c = all.items.find((i: { id: string }) => i.id === 'c');
    expect(c).toEqual({
      id: 'c',
      kind: 'claim',
      statement: 'Troops_stay',
      speaker: { name: 'Ana Lopes' },
      madeAt: '2025-01-01T00:00:00.000Z',
      source: { url: 'https://example.org/s' },
      topics: ['Economy'],
      status: 'refuted',
      version: 2,
      position: 3,
      recordedAt: expect.any(String),
      updatedAt: expect.any(String),
    });
    // The list item's members in the order the API has always written them.
    expect(Object.keys(c)).toEqual(['id', 'kind', 'statement', 'speaker', 'madeAt', 'source', 'topics', 'status', 'version', 'position', 'recordedAt', 'updatedAt']);

    const idsOf = async (q: Parameters<typeof listClaimsJson>[1]) => (await list(q)).items.map((i: { id: string }) => i.id);
    expect(await idsOf({ kind: 'pledge' })).toEqual(['b']);
    expect(await idsOf({ status: 'refuted' })).toEqual(['c']);
    expect(await idsOf({ speaker: '  BO EK ' })).toEqual(['b']);
    expect(await idsOf({ topic: 'SECURITY' })).toEqual(['d', 'b', 'a']);
    expect(await idsOf({ q: 'troops' })).toEqual(['c', 'a']);
    // LIKE wildcards in the text are matched as themselves ('100 points', 'sts' would match them as wildcards).
    expect(await idsOf({ q: '100%' })).toEqual(['a']);
    expect(await idsOf({ q: 's_s' })).toEqual(['c']);

    const first = await list({ limit: 3 });
    expect(first.items.map((i: { id: string }) => i.id)).toEqual(['d', 'c', 'b']);
    expect(typeof first.nextCursor).toBe('string');
    const second = await list({ limit: 3, cursor: first.nextCursor });
    expect(second).toMatchObject({ items: [{ id: 'a' }], nextCursor: null });

    for (const cursor of ['not-a-cursor', Buffer.from('{"p":0}').toString('base64url')]) {
      const refused = listClaimsJson(l.ds, { cursor });
      await expect(refused).rejects.toBeInstanceOf(RequestValidationError);
      await expect(refused).rejects.toThrow('cursor is not one this API handed out');
    }

    const counts = await claimCountsByStatus(l.ds);
    expect(counts.sort((x, y) => x.status.localeCompare(y.status))).toEqual([
      { status: 'refuted', count: 1 },
      { status: 'unverified', count: 3 },
    ]);
  });
});
