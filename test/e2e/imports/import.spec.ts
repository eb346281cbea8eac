import request from 'supertest';
import { evidenceIdFor } from '../../../src/imports/import-processor';
import { bearer, createKey, pledgeBody, TEST_ON_POSTGRES } from '../../support/app';
import { dumpReadModels } from '../../reliability/support/sqlite';
import { Api, bootJobsApp, PrefixLedger, RUN_MODES, recomputeFromApi, waitFor, waitForIdle, type JobsTestApp, type RunMode } from '../../support/jobs';
import { acledCsv, acledRow, deletionsCsv, type AcledRow } from '../../support/acled';
import { CHERNIHIV_SCOPE, DATASET, expectedMatches, importFile, upload, waitForImport } from './helpers';

const prefixes = new PrefixLedger('imports');
afterAll(() => prefixes.cleanup());

const CHERNIHIV_EXACT = { location: 'Chernihiv', latitude: '51.4982', longitude: '31.2893', geo_precision: '1', time_precision: '1', sub_event_type: 'Shelling/artillery/missile attack', event_date: '2022-03-30' };
const ODESA = { location: 'Odesa', latitude: '46.4825', longitude: '30.7233', geo_precision: '1' };

/** 40 generated rows: rows 1–5 certainly match the pledge, the rest as the generator falls. */
function baseRows(): AcledRow[] {
  return Array.from({ length: 40 }, (_, k) => acledRow(k + 1, k < 5 ? CHERNIHIV_EXACT : {}));
}

async function attachedIds(api: Api, claimId: string): Promise<string[]> {
  const view = await api.claim(claimId);
  return view.evidence.filter((e) => e.attached !== false && !e.retracted).map((e) => e.evidenceId).sort();
}
/** The claim's recorded status and verdict are the rule applied again to its log and the evidence's latest facts. */
async function expectVerdictReproduced(api: Api, claimId: string): Promise<void> {
  const view = await api.claim(claimId);
  const recomputed = await recomputeFromApi(api, claimId);
  expect(recomputed.verdict).toEqual({ ...view.verdict, status: view.status });
}
const idsOf = (externalIds: string[]) => externalIds.map((x) => evidenceIdFor(DATASET, x)).sort();

describe.each(RUN_MODES)('import of ACLED files, %s mode', (mode: RunMode) => {
  let t: JobsTestApp;
  beforeEach(async () => {
    // Batches of 7 rows: a file spans many batches, and rows repeat across them.
    t = await bootJobsApp(mode, prefixes, { overrides: { importMaxBytes: 64 * 1024, importBatchRows: 7 } });
  });
  afterEach(async () => t?.close());

  it('imports, re-imports (nothing appended), follows edits (revisions re-matched, statuses recomputed) and deletions', async () => {
    const claimId = await t.api.createClaim(pledgeBody({ scope: CHERNIHIV_SCOPE }));
    const rows = baseRows();
    const bad = [
      acledRow(101, { latitude: '95.5' }),
      acledRow(102, { event_date: '2022-13-01' }),
      acledRow(103, { event_id_cnty: '' }),
      acledRow(104, { geo_precision: '7' }),
    ];
    const first = await waitForImport(t.http, t.adminKey, await importFile(t.http, t.adminKey, acledCsv([...rows, ...bad], { bom: true })));
    expect(first).toMatchObject({ state: 'done', rows: 44, accepted: 40, revised: 0, unchanged: 0, stale: 0, retracted: 0, rejected: 4 });
    expect(first.errors.map((e) => e.field)).toEqual(['latitude', 'event_date', 'event_id_cnty', 'geo_precision']);
    // Each row's notes span two lines: row k (1-based, after the header) starts on line 2k.
    expect(first.errors[0].line).toBe(2 * 41);
    expect(first.sha256).toMatch(/^[0-9a-f]{64}$/);

    const expected = expectedMatches(rows, CHERNIHIV_SCOPE);
    expect(expected.length).toBeGreaterThanOrEqual(5);
    await waitForIdle(t, 20_000);
    expect(await attachedIds(t.api, claimId)).toEqual(idsOf(expected));
    const afterFirst = await t.api.claim(claimId);
    expect(afterFirst.status).toBe('contradicted');
    // Imported rows are matched under matching-v2 (they carry observedUntil and precisionKm).
    expect(afterFirst.evidence[0].rule).toMatchObject({ name: 'matching-v2' });

    // The same file again: every row unchanged, and the log gains only the ImportCompleted.
    const head = (await t.api.verifyLedger()).head.position;
    const again = await waitForImport(t.http, t.adminKey, await importFile(t.http, t.adminKey, acledCsv([...rows, ...bad], { bom: true })));
    expect(again).toMatchObject({ state: 'done', rows: 44, accepted: 0, unchanged: 40, rejected: 4, sha256: first.sha256 });
    await waitForIdle(t, 20_000);
    expect((await t.api.verifyLedger()).head.position).toBe(head + 1);
    const completed = (await t.api.feed()).filter((e) => e.type === 'ImportCompleted');
    expect(completed.map((e) => e.streamId)).toEqual([`import-${first.id}`, `import-${again.id}`]);
    expect(completed[1].data).toEqual({ importId: again.id, dataset: DATASET, format: 'acled', sha256: first.sha256, counts: { rows: 44, accepted: 0, revised: 0, unchanged: 40, stale: 0, retracted: 0, rejected: 4 } });

    // An edited export: rows 1–3 move to Odesa (higher revision), row 6 moves into Chernihiv, row 7 comes with an older revision.
    const edited = rows.map((r, k) => {
      const i = k + 1;
      if (i <= 3) return { ...r, ...ODESA, timestamp: String(Number(r.timestamp) + 1000) };
      if (i === 6) return { ...r, ...CHERNIHIV_EXACT, timestamp: String(Number(r.timestamp) + 1000) };
      if (i === 7) return { ...r, timestamp: String(Number(r.timestamp) - 1) };
      return r;
    });
    const third = await waitForImport(t.http, t.adminKey, await importFile(t.http, t.adminKey, acledCsv(edited)));
    expect(third).toMatchObject({ state: 'done', rows: 40, accepted: 0, revised: 4, unchanged: 35, stale: 1, rejected: 0 });
    await waitForIdle(t, 20_000);
    const expectedEdited = expectedMatches(edited, CHERNIHIV_SCOPE);
    expect(expectedEdited).toContain('UKR6');
    expect(expectedEdited).not.toContain('UKR1');
    expect(await attachedIds(t.api, claimId)).toEqual(idsOf(expectedEdited));
    const events = await t.api.claimEvents(claimId);
    expect(events.filter((e) => e.type === 'EvidenceDetached').map((e) => e.data)).toEqual(
      expect.arrayContaining([{ evidenceId: evidenceIdFor(DATASET, 'UKR1'), reason: 'revised' }]),
    );
    // The recorded verdict is the rule applied to what is attached, and the evidence view shows the latest facts.
    await expectVerdictReproduced(t.api, claimId);
    const ev1 = await request(t.http).get(`/api/evidence/${evidenceIdFor(DATASET, 'UKR1')}`).set(bearer(t.adminKey));
    expect(ev1.body).toMatchObject({ places: [{ name: 'Odesa' }], revisions: 1, external: { id: 'UKR1', revision: 1_650_001_001 } });

    // Deletions: rows 4 and 5 deleted upstream (one unknown id too): retracted, detached, recomputed.
    const del = await waitForImport(t.http, t.adminKey, await importFile(t.http, t.adminKey, deletionsCsv(['UKR4', 'UKR5', 'UKR999']), 'acled-deletions'));
    expect(del).toMatchObject({ state: 'done', rows: 3, retracted: 2, unchanged: 1 });
    await waitForIdle(t, 20_000);
    expect(await attachedIds(t.api, claimId)).toEqual(idsOf(expectedEdited.filter((x) => x !== 'UKR4' && x !== 'UKR5')));
    const ev4 = await request(t.http).get(`/api/evidence/${evidenceIdFor(DATASET, 'UKR4')}`).set(bearer(t.adminKey));
    expect(ev4.body.retraction).toMatchObject({ reason: `deleted from ${DATASET}` });
    await expectVerdictReproduced(t.api, claimId);
    expect((await t.api.verifyLedger()).ok).toBe(true);

    // The read models (report index, scope keys, evidence with revised data) equal a rebuild from the log,
    // and the rebuilt index still knows every row: the edited file again is unchanged, stale or final.
    if (!TEST_ON_POSTGRES) {
      const before = await dumpReadModels(t.dbPath);
      expect(before.external_reports).toHaveLength(40);
      expect((await request(t.http).post('/api/admin/projections/rebuild').set(bearer(t.adminKey))).status).toBe(202);
      await waitFor('the rebuild', async () => dumpReadModels(t.dbPath), (after) => JSON.stringify(after) === JSON.stringify(before), { timeoutMs: 20_000, intervalMs: 200 });
    }
    const fifth = await waitForImport(t.http, t.adminKey, await importFile(t.http, t.adminKey, acledCsv(edited)));
    expect(fifth).toMatchObject({ state: 'done', rows: 40, accepted: 0, revised: 0, unchanged: 37, stale: 1, rejected: 2 });
    expect(fifth.errors.map((e) => e.message)).toEqual([expect.stringMatching(/retraction is final/), expect.stringMatching(/retraction is final/)]);

    // GET /api/imports: newest first, paginated.
    const list = await request(t.http).get('/api/imports?limit=2').set(bearer(t.adminKey));
    expect(list.body.items.map((i: { id: string }) => i.id)).toEqual([fifth.id, del.id]);
    const next = await request(t.http).get(`/api/imports?limit=2&cursor=${list.body.nextCursor}`).set(bearer(t.adminKey));
    expect(next.body.items.map((i: { id: string }) => i.id)).toEqual([third.id, again.id]);
  });

  it('a row repeated across batches (7 rows each): a newer revision revises, an older one is stale, nothing twice', async () => {
    const rows = Array.from({ length: 10 }, (_, k) => acledRow(k + 1));
    const newer = { ...rows[2], timestamp: String(Number(rows[2].timestamp) + 50), notes: 'corrected' };
    const file = [...rows, newer, rows[2], acledRow(11), newer];
    const v = await waitForImport(t.http, t.adminKey, await importFile(t.http, t.adminKey, acledCsv(file)));
    expect(v).toMatchObject({ state: 'done', rows: 14, accepted: 11, revised: 1, stale: 1, unchanged: 1, rejected: 0 });
    await waitForIdle(t, 20_000);
    const stream = (await t.api.feed()).filter((e) => e.streamId === `evidence-${evidenceIdFor(DATASET, 'UKR3')}`);
    expect(stream.map((e) => e.type)).toEqual(['EvidenceSubmitted', 'EvidenceRevised']);
  });

  it('bad files: not CSV at all fails and appends nothing; over IMPORT_MAX_BYTES is 413; other body types 415; bad query 400', async () => {
    const head = (await t.api.verifyLedger()).head.position;
    const binary = Buffer.from(Array.from({ length: 3000 }, (_, i) => (i * 7919) % 256));
    const failed = await waitForImport(t.http, t.adminKey, await importFile(t.http, t.adminKey, binary.toString('latin1')));
    expect(failed.state).toBe('failed');
    expect(failed.failure).toMatch(/header lacks event_id_cnty|not a CSV/);
    const notJson = await waitForImport(t.http, t.adminKey, await importFile(t.http, t.adminKey, 'hello\nworld\n', 'ndjson', 'application/x-ndjson'));
    expect(notJson).toMatchObject({ state: 'failed', failure: expect.stringMatching(/not an NDJSON file/) });
    await waitForIdle(t);
    expect((await t.api.verifyLedger()).head.position).toBe(head);

    const big = await upload(t.http, t.adminKey, 'x'.repeat(70 * 1024), `format=acled&dataset=${DATASET}`);
    expect(big.status).toBe(413);
    expect(big.headers['content-type']).toMatch(/problem\+json/);
    const json = await request(t.http).post(`/api/imports?format=acled&dataset=${DATASET}`).set(bearer(t.adminKey)).send({ a: 1 });
    expect(json.status).toBe(415);
    const badQuery = await upload(t.http, t.adminKey, 'a,b\n', 'format=xlsx&dataset=x');
    expect(badQuery.status).toBe(400);
    expect(badQuery.body.errors).toEqual([expect.objectContaining({ field: 'format' })]);
    expect((await request(t.http).get('/api/imports/7a1c4a8e-0000-4000-8000-000000000000').set(bearer(t.adminKey))).status).toBe(404);
    // Roles: uploads need a checker; reading imports a viewer; no key, 401.
    const viewer = await createKey(t, 'viewer');
    const checker = await createKey(t, 'checker');
    expect((await upload(t.http, viewer.key, 'a\n', `format=acled&dataset=${DATASET}`)).status).toBe(403);
    expect((await request(t.http).post(`/api/imports?format=acled&dataset=${DATASET}`).set('content-type', 'text/csv').send('a\n')).status).toBe(401);
    expect((await upload(t.http, checker.key, acledCsv([acledRow(1)]), `format=acled&dataset=${DATASET}`)).status).toBe(202);
    expect((await request(t.http).get('/api/imports').set(bearer(viewer.key))).status).toBe(200);
    expect((await request(t.http).get('/api/imports')).status).toBe(401);
  });

  it('NDJSON: reports as POST /api/reports takes them, with externalId and revision; bad lines rejected with their field', async () => {
    const line = (id: string, rev: number, extra: Record<string, unknown> = {}) =>
      JSON.stringify({
        externalId: id,
        revision: rev,
        summary: `Shelling in Chernihiv (${id})`,
        source: { url: `https://example.org/${id}`, publisher: 'Example' },
        observedAt: '2022-03-30T10:00:00Z',
        places: [{ name: 'Chernihiv', lat: 51.4982, lon: 31.2893, precisionKm: 5 }],
        indicators: ['shelling'],
        ...extra,
      });
    const body = [line('n1', 1), line('n2', 1, { observedUntil: '2022-03-29T00:00:00Z' }), line('n3', 1, { places: [{ name: 'x', lat: 99, lon: 0 }] }), '', line('n1', 1)].join('\n');
    const v = await waitForImport(t.http, t.adminKey, await importFile(t.http, t.adminKey, body, 'ndjson', 'application/x-ndjson'));
    expect(v).toMatchObject({ state: 'done', rows: 4, accepted: 1, unchanged: 1, rejected: 2 });
    expect(v.errors).toEqual([
      { line: 2, field: 'observedUntil', message: expect.stringMatching(/later than observedAt/) },
      { line: 3, field: 'places[0].lat', message: expect.any(String) },
    ]);
    await waitFor('the report', () => request(t.http).get(`/api/evidence/${evidenceIdFor(DATASET, 'n1')}`).set(bearer(t.adminKey)), (r) => r.status === 200);
  });
});
