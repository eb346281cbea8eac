/**
 * One ACLED export row → one field report (IMPORT.md, "One ACLED row → one report"). Pure: the
 * import job parses the CSV (csv-parse) and hands each record here with its line number.
 */
import type { EvidenceSubmittedData } from '../domain/events';
import type { Credibility, Reliability } from '../domain/types';

/** The columns the mapping reads; every other column is kept as a string in `external.fields`. */
export const ACLED_USED_COLUMNS = [
  'event_id_cnty',
  'event_date',
  'time_precision',
  'event_type',
  'sub_event_type',
  'country',
  'admin1',
  'location',
  'latitude',
  'longitude',
  'geo_precision',
  'source',
  'notes',
  'timestamp',
] as const;

/** The columns without which no row can be mapped: a header lacking one fails the whole import. */
export const ACLED_REQUIRED_COLUMNS = ['event_id_cnty', 'event_date', 'time_precision', 'sub_event_type', 'latitude', 'longitude', 'geo_precision', 'timestamp'] as const;

/** geo_precision → precisionKm. */
export const GEO_PRECISION_KM: Readonly<Record<string, number>> = { '1': 0, '2': 25, '3': 100 };
/** time_precision → [days before event_date, days after it] of the window (end exclusive). */
export const TIME_PRECISION_DAYS: Readonly<Record<string, readonly [number, number]>> = { '1': [0, 1], '2': [3, 4], '3': [15, 16] };

/** ACLED sub-event types → the ledger's indicator labels (IMPORT.md). Keys lower-cased. */
const SUB_EVENT_LABELS: ReadonlyArray<[string[], string]> = [
  [['shelling/artillery/missile attack'], 'shelling'],
  [['air/drone strike'], 'airstrike'],
  [['armed clash'], 'armed clash'],
  [['attack'], 'attack'],
  [['remote explosive/landmine/ied', 'grenade', 'suicide bomb'], 'explosion'],
  [['chemical weapon'], 'chemical weapon'],
  [['government regains territory', 'non-state actor overtakes territory', 'non-violent transfer of territory'], 'territory change'],
  [['abduction/forced disappearance'], 'abduction'],
  [['sexual violence'], 'sexual violence'],
  [['looting/property destruction'], 'looting'],
  [['peaceful protest', 'protest with intervention', 'excessive force against protesters'], 'protest'],
  [['violent demonstration', 'mob violence'], 'riot'],
];
const LABEL_OF = new Map<string, string>(SUB_EVENT_LABELS.flatMap(([keys, label]) => keys.map((k): [string, string] => [k, label])));

export const SUMMARY_MAX = 5000;
const PUBLISHER_MAX = 200;
const DAY_MS = 86_400_000;

export interface ImportDefaults {
  dataset: string;
  /** The dataset's page: each report's source URL is `<datasetUrl>#<event_id_cnty>`. */
  datasetUrl: string;
  reliability: Reliability;
  credibility: Credibility;
}

export interface RowError {
  line: number;
  field: string;
  message: string;
}

export type RowResult =
  | { ok: true; externalId: string; revision: number; report: EvidenceSubmittedData }
  | { ok: false; error: RowError };

/** The indicators for a sub-event type: its label (when it has one) and its own text lower-cased. */
export function indicatorsFor(subEventType: string): string[] {
  const own = subEventType.trim().toLowerCase();
  if (own === '') return [];
  const label = LABEL_OF.get(own);
  return label && label !== own ? [label, own] : [own];
}

/** `YYYY-MM-DD` as the UTC midnight in ms, or null unless it is a real calendar day. */
export function parseEventDate(text: string): number | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text.trim());
  if (!m) return null;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const ms = Date.UTC(y, mo - 1, d);
  const back = new Date(ms);
  return back.getUTCFullYear() === y && back.getUTCMonth() === mo - 1 && back.getUTCDate() === d ? ms : null;
}

function parseCoordinate(text: string | undefined, limit: number): number | null {
  const t = (text ?? '').trim();
  if (!/^[+-]?(\d+(\.\d*)?|\.\d+)$/.test(t)) return null;
  const n = Number(t);
  return Number.isFinite(n) && Math.abs(n) <= limit ? n : null;
}

/**
 * Maps one ACLED record (column → text, as csv-parse gives it with `columns: true`) to a
 * report, or the first problem found, with its line and field.
 */
export function mapAcledRow(record: Readonly<Record<string, string | undefined>>, line: number, defaults: ImportDefaults): RowResult {
  const fail = (field: string, message: string): RowResult => ({ ok: false, error: { line, field, message } });
  const text = (col: string) => (record[col] ?? '').trim();

  const id = text('event_id_cnty');
  if (id === '') return fail('event_id_cnty', 'event_id_cnty is missing');
  if (id.length > 200) return fail('event_id_cnty', 'event_id_cnty is longer than 200 characters');

  const day = parseEventDate(text('event_date'));
  if (day === null) return fail('event_date', `event_date must be a date as YYYY-MM-DD, got "${text('event_date').slice(0, 40)}"`);
  const window = TIME_PRECISION_DAYS[text('time_precision')];
  if (!window) return fail('time_precision', `time_precision must be 1, 2 or 3, got "${text('time_precision').slice(0, 20)}"`);

  const lat = parseCoordinate(record.latitude, 90);
  if (lat === null) return fail('latitude', `latitude must be a number between -90 and 90, got "${text('latitude').slice(0, 40)}"`);
  const lon = parseCoordinate(record.longitude, 180);
  if (lon === null) return fail('longitude', `longitude must be a number between -180 and 180, got "${text('longitude').slice(0, 40)}"`);
  const precisionKm = GEO_PRECISION_KM[text('geo_precision')];
  if (precisionKm === undefined) return fail('geo_precision', `geo_precision must be 1, 2 or 3, got "${text('geo_precision').slice(0, 20)}"`);

  const ts = text('timestamp');
  if (!/^\d{1,15}$/.test(ts)) return fail('timestamp', `timestamp must be unix seconds (a whole number), got "${ts.slice(0, 40)}"`);
  const revision = Number(ts);

  const subEventType = text('sub_event_type');
  const indicators = indicatorsFor(subEventType);
  if (indicators.length === 0) return fail('sub_event_type', 'sub_event_type is missing');

  const location = text('location') || text('admin1') || text('country') || 'unknown';
  const notes = text('notes');
  const summary = (notes || `${subEventType} in ${location}`).slice(0, SUMMARY_MAX);
  const publisher = (text('source').split(';')[0] ?? '').trim().slice(0, PUBLISHER_MAX) || 'ACLED';

  const fields: Record<string, string> = {};
  for (const [k, v] of Object.entries(record)) {
    if (v !== undefined && !(ACLED_USED_COLUMNS as readonly string[]).includes(k)) fields[k] = v;
  }

  const [before, after] = window;
  return {
    ok: true,
    externalId: id,
    revision,
    report: {
      claimId: null,
      summary,
      source: { url: `${defaults.datasetUrl}#${encodeURIComponent(id)}`, publisher },
      observedAt: new Date(day - before * DAY_MS).toISOString(),
      observedUntil: new Date(day + after * DAY_MS).toISOString(),
      reliability: defaults.reliability,
      credibility: defaults.credibility,
      places: [{ name: location.slice(0, 200), lat, lon, precisionKm }],
      indicators,
      external: { dataset: defaults.dataset, id, revision, ...(Object.keys(fields).length > 0 ? { fields } : {}) },
    },
  };
}

/** A deletions file's row: `event_id_cnty, deleted_timestamp`. */
export type DeletionResult = { ok: true; externalId: string; deletedAt: number } | { ok: false; error: RowError };

export function mapAcledDeletion(record: Readonly<Record<string, string | undefined>>, line: number): DeletionResult {
  const id = (record.event_id_cnty ?? '').trim();
  if (id === '') return { ok: false, error: { line, field: 'event_id_cnty', message: 'event_id_cnty is missing' } };
  const ts = (record.deleted_timestamp ?? '').trim();
  if (!/^\d{1,15}$/.test(ts)) {
    return { ok: false, error: { line, field: 'deleted_timestamp', message: `deleted_timestamp must be unix seconds, got "${ts.slice(0, 40)}"` } };
  }
  return { ok: true, externalId: id, deletedAt: Number(ts) };
}
