import { Readable } from 'node:stream';
import { parse } from 'csv-parse';
import { indicatorsFor, mapAcledDeletion, mapAcledRow, parseEventDate, type ImportDefaults } from '../../../src/imports/acled';
import { acledCsv, acledRow } from '../../support/acled';

const DEFAULTS: ImportDefaults = { dataset: 'acled-ukraine', datasetUrl: 'https://acleddata.com/data-export-tool/', reliability: 'B', credibility: 2 };

/** Parses CSV text as the import does (csv-parse, BOM, header row), giving records with their end lines. */
async function records(text: string): Promise<Array<{ record: Record<string, string>; line: number }>> {
  const out: Array<{ record: Record<string, string>; line: number }> = [];
  const parser = Readable.from([text]).pipe(parse({ bom: true, columns: true, info: true, skip_records_with_error: true }));
  for await (const c of parser) out.push({ record: c.record, line: c.info.lines });
  return out;
}

describe('ACLED row → report', () => {
  it('maps every field as IMPORT.md says (time_precision 1, geo_precision 1)', () => {
    const r = mapAcledRow(acledRow(7, { event_date: '2022-03-30', time_precision: '1', geo_precision: '1', latitude: '51.4982', longitude: '31.2893' }), 3, DEFAULTS);
    expect(r).toMatchObject({
      ok: true,
      externalId: 'UKR7',
      revision: 1_650_000_007,
      report: {
        claimId: null,
        observedAt: '2022-03-30T00:00:00.000Z',
        observedUntil: '2022-03-31T00:00:00.000Z',
        places: [{ name: acledRow(7).location, lat: 51.4982, lon: 31.2893, precisionKm: 0 }],
        source: { url: 'https://acleddata.com/data-export-tool/#UKR7', publisher: 'Suspilne Media' },
        reliability: 'B',
        credibility: 2,
        external: { dataset: 'acled-ukraine', id: 'UKR7', revision: 1_650_000_007 },
      },
    });
    if (!r.ok) throw new Error('mapped');
    // Columns the mapping does not read are kept as strings; the used ones are not repeated.
    expect(r.report.external!.fields).toMatchObject({ actor1: 'Military Forces of Russia (2000-)', fatalities: expect.any(String), iso: '804' });
    expect(r.report.external!.fields).not.toHaveProperty('notes');
    expect(r.report.summary).toBe(acledRow(7).notes);
  });

  it.each([
    ['1', '2022-03-30T00:00:00.000Z', '2022-03-31T00:00:00.000Z'],
    ['2', '2022-03-27T00:00:00.000Z', '2022-04-03T00:00:00.000Z'],
    ['3', '2022-03-15T00:00:00.000Z', '2022-04-15T00:00:00.000Z'],
  ])('time_precision %s → the window [%s, %s)', (p, from, until) => {
    const r = mapAcledRow(acledRow(1, { event_date: '2022-03-30', time_precision: p }), 2, DEFAULTS);
    expect(r.ok && [r.report.observedAt, r.report.observedUntil]).toEqual([from, until]);
  });

  it.each([
    ['1', 0],
    ['2', 25],
    ['3', 100],
  ])('geo_precision %s → precisionKm %d', (p, km) => {
    const r = mapAcledRow(acledRow(1, { geo_precision: p }), 2, DEFAULTS);
    expect(r.ok && r.report.places![0].precisionKm).toBe(km);
  });

  it('indicators: the label and the sub-event type as written, lower-cased; unknown types keep only their text', () => {
    expect(indicatorsFor('Shelling/artillery/missile attack')).toEqual(['shelling', 'shelling/artillery/missile attack']);
    expect(indicatorsFor('Air/drone strike')).toEqual(['airstrike', 'air/drone strike']);
    expect(indicatorsFor('Armed clash')).toEqual(['armed clash']);
    expect(indicatorsFor('Grenade')).toEqual(['explosion', 'grenade']);
    expect(indicatorsFor('Mob violence')).toEqual(['riot', 'mob violence']);
    expect(indicatorsFor('Headquarters or base established')).toEqual(['headquarters or base established']);
  });

  it('summary falls back to "<sub_event_type> in <location>", and is cut to 5000; publisher falls back to ACLED', () => {
    const empty = mapAcledRow(acledRow(1, { notes: '', source: '', sub_event_type: 'Armed clash', location: 'Irpin' }), 2, DEFAULTS);
    expect(empty.ok && [empty.report.summary, empty.report.source.publisher]).toEqual(['Armed clash in Irpin', 'ACLED']);
    const long = mapAcledRow(acledRow(1, { notes: 'x'.repeat(6000) }), 2, DEFAULTS);
    expect(long.ok && long.report.summary.length).toBe(5000);
  });

  it.each([
    [{ event_id_cnty: '' }, 'event_id_cnty'],
    [{ event_date: '30/03/2022' }, 'event_date'],
    [{ event_date: '2022-02-30' }, 'event_date'],
    [{ time_precision: '4' }, 'time_precision'],
    [{ latitude: '95.2' }, 'latitude'],
    [{ latitude: 'north' }, 'latitude'],
    [{ longitude: '-181' }, 'longitude'],
    [{ geo_precision: '0' }, 'geo_precision'],
    [{ timestamp: '' }, 'timestamp'],
    [{ timestamp: '1.5' }, 'timestamp'],
  ])('rejects %j with its line and field', (over, field) => {
    expect(mapAcledRow(acledRow(1, over), 9, DEFAULTS)).toEqual({ ok: false, error: { line: 9, field, message: expect.any(String) } });
  });

  it('parseEventDate takes only real calendar days', () => {
    expect(parseEventDate('2024-02-29')).toBe(Date.UTC(2024, 1, 29));
    expect(parseEventDate('2023-02-29')).toBeNull();
    expect(parseEventDate('2022-3-1')).toBeNull();
  });

  it('deletions: id and deleted_timestamp, or the field at fault', () => {
    expect(mapAcledDeletion({ event_id_cnty: 'UKR1', deleted_timestamp: '1700000000' }, 2)).toEqual({ ok: true, externalId: 'UKR1', deletedAt: 1_700_000_000 });
    expect(mapAcledDeletion({ event_id_cnty: 'UKR1', deleted_timestamp: 'soon' }, 2)).toMatchObject({ ok: false, error: { field: 'deleted_timestamp' } });
    expect(mapAcledDeletion({ event_id_cnty: ' ' }, 2)).toMatchObject({ ok: false, error: { field: 'event_id_cnty' } });
  });
});

describe('ACLED CSV as csv-parse reads it', () => {
  it('a BOM, quoted notes with commas, quotes and newlines, and columns in any order survive the round trip', async () => {
    const rows = [acledRow(1, { notes: 'He said "stop", then\nthe shelling went on, again' }), acledRow(2)];
    const columns = ['notes', ...Object.keys(rows[0]).filter((c) => c !== 'notes')];
    const parsed = await records(acledCsv(rows, { bom: true, columns }));
    expect(parsed.map((p) => p.record.event_id_cnty)).toEqual(['UKR1', 'UKR2']);
    expect(parsed[0].record.notes).toBe('He said "stop", then\nthe shelling went on, again');
    expect(parsed[0].line).toBe(3); // header 1, the record spans lines 2–3
    const mapped = mapAcledRow(parsed[0].record, 2, DEFAULTS);
    expect(mapped.ok && mapped.report.summary).toBe(rows[0].notes);
  });

  it('a broken quote is skipped by the parser and the rest of the file goes on', async () => {
    const text = acledCsv([acledRow(1)]) + 'UKR9,"broken "quote",x\r\n' + acledCsv([acledRow(3)]).split('\r\n').slice(1).join('\r\n');
    const parsed = await records(text);
    expect(parsed.map((p) => p.record.event_id_cnty)).toEqual(['UKR1', 'UKR3']);
  });
});
