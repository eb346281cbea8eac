/**
 * ACLED-shaped CSV fixtures, generated (never committed): every column of ACLED's export in its
 * order, quoted notes with commas, quotes and newlines, an optional BOM, all three time and geo
 * precisions, and deterministic content from a seed.
 */
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';

export const ACLED_COLUMNS = [
  'event_id_cnty', 'event_date', 'year', 'time_precision', 'disorder_type', 'event_type', 'sub_event_type',
  'actor1', 'assoc_actor_1', 'inter1', 'actor2', 'assoc_actor_2', 'inter2', 'interaction', 'civilian_targeting',
  'iso', 'region', 'country', 'admin1', 'admin2', 'admin3', 'location', 'latitude', 'longitude', 'geo_precision',
  'source', 'source_scale', 'notes', 'fatalities', 'tags', 'timestamp',
] as const;
export type AcledColumn = (typeof ACLED_COLUMNS)[number];
export type AcledRow = Record<AcledColumn, string>;

export const PLACES = [
  { location: 'Chernihiv', admin1: 'Chernihiv', lat: 51.4982, lon: 31.2893 },
  { location: 'Kyiv', admin1: 'Kyiv City', lat: 50.4501, lon: 30.5234 },
  { location: 'Brovary', admin1: 'Kyiv', lat: 50.511, lon: 30.7909 },
  { location: 'Kharkiv', admin1: 'Kharkiv', lat: 49.9935, lon: 36.2304 },
  { location: 'Mariupol', admin1: 'Donetsk', lat: 47.0971, lon: 37.5434 },
  { location: 'Odesa', admin1: 'Odesa', lat: 46.4825, lon: 30.7233 },
];
export const SUB_EVENTS = [
  ['Explosions/Remote violence', 'Shelling/artillery/missile attack'],
  ['Explosions/Remote violence', 'Air/drone strike'],
  ['Battles', 'Armed clash'],
  ['Violence against civilians', 'Attack'],
  ['Protests', 'Peaceful protest'],
  ['Strategic developments', 'Looting/property destruction'],
] as const;

/** A small deterministic PRNG (mulberry32). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Row i of a generated dataset (ids UKR<i>), with a few overrides. */
export function acledRow(i: number, over: Partial<AcledRow> = {}, seed = 1): AcledRow {
  const r = rng(seed * 1_000_003 + i);
  const place = PLACES[Math.floor(r() * PLACES.length)];
  const [eventType, subEventType] = SUB_EVENTS[Math.floor(r() * SUB_EVENTS.length)];
  const day = new Date(Date.UTC(2022, 2, 1) + Math.floor(r() * 60) * 86_400_000).toISOString().slice(0, 10);
  const jitter = () => ((r() - 0.5) * 0.1).toFixed(4);
  return {
    event_id_cnty: `UKR${i}`,
    event_date: day,
    year: day.slice(0, 4),
    time_precision: String(1 + Math.floor(r() * 3)),
    disorder_type: 'Political violence',
    event_type: eventType,
    sub_event_type: subEventType,
    actor1: 'Military Forces of Russia (2000-)',
    assoc_actor_1: '',
    inter1: '8',
    actor2: 'Civilians (Ukraine)',
    assoc_actor_2: '',
    inter2: '7',
    interaction: '78',
    civilian_targeting: 'Civilian targeting',
    iso: '804',
    region: 'Europe',
    country: 'Ukraine',
    admin1: place.admin1,
    admin2: '',
    admin3: '',
    location: place.location,
    latitude: (place.lat + Number(jitter())).toFixed(4),
    longitude: (place.lon + Number(jitter())).toFixed(4),
    geo_precision: String(1 + Math.floor(r() * 3)),
    source: 'Suspilne Media; Ukrinform',
    source_scale: 'National',
    notes: `On ${day}, Russian forces shelled ${place.location}, "heavily", hitting homes,\nschools and a hospital. [size=no report]`,
    fatalities: String(Math.floor(r() * 5)),
    tags: '',
    timestamp: String(1_650_000_000 + i),
    ...over,
  };
}

/** RFC 4180 quoting: fields with a comma, quote, CR or LF are quoted, quotes doubled. */
export function csvField(v: string): string {
  return /[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
}

export function acledCsv(rows: AcledRow[], opts: { bom?: boolean; columns?: readonly string[] } = {}): string {
  const cols = opts.columns ?? ACLED_COLUMNS;
  const lines = [cols.join(','), ...rows.map((row) => cols.map((c) => csvField((row as Record<string, string>)[c] ?? '')).join(','))];
  return (opts.bom ? '\uFEFF' : '') + lines.join('\r\n') + '\r\n';
}

export function deletionsCsv(ids: string[], deletedAt = 1_700_000_000): string {
  return ['event_id_cnty,deleted_timestamp', ...ids.map((id) => `${id},${deletedAt}`)].join('\n') + '\n';
}

/** Writes `count` generated rows to a file without holding them in memory (the bench's 200,000). */
export async function writeAcledFile(path: string, count: number, seed = 1, rowOf: (i: number) => AcledRow = (i) => acledRow(i, {}, seed)): Promise<void> {
  const out = createWriteStream(path);
  out.write(ACLED_COLUMNS.join(',') + '\n');
  for (let i = 1; i <= count; i++) {
    const line = ACLED_COLUMNS.map((c) => csvField(rowOf(i)[c])).join(',') + '\n';
    if (!out.write(line)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
}
