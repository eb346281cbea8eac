import request from 'supertest';
import { mapAcledRow } from '../../../src/imports/acled';
import { matchReportToScope } from '../../../src/domain/matching';
import type { Scope } from '../../../src/domain/types';
import { bearer } from '../../support/app';
import { waitFor } from '../../support/jobs';
import type { AcledRow } from '../../support/acled';
import type { Server } from 'node:http';

export interface ImportView {
  id: string;
  state: string;
  sha256: string;
  rows: number;
  accepted: number;
  revised: number;
  unchanged: number;
  stale: number;
  retracted: number;
  rejected: number;
  errors: Array<{ line: number; field: string; message: string }>;
  failure: string | null;
}

export const DATASET = 'acled-test';

export async function upload(http: Server, key: string, body: string | Buffer, q: string, type = 'text/csv'): Promise<request.Response> {
  return request(http).post(`/api/imports?${q}`).set(bearer(key)).set('content-type', type).send(body);
}

export async function importFile(http: Server, key: string, body: string, format = 'acled', type = 'text/csv'): Promise<string> {
  const res = await upload(http, key, body, `format=${format}&dataset=${DATASET}`, type);
  if (res.status !== 202) throw new Error(`upload answered ${res.status}: ${res.text}`);
  expect(res.headers.location).toBe(`/api/imports/${res.body.importId}`);
  return res.body.importId as string;
}

export async function waitForImport(http: Server, key: string, id: string, timeoutMs = 30_000): Promise<ImportView> {
  return waitFor(
    `import ${id} to finish`,
    async () => (await request(http).get(`/api/imports/${id}`).set(bearer(key))).body as ImportView,
    (v) => v.state === 'done' || v.state === 'failed',
    { timeoutMs, intervalMs: 50 },
  );
}

/** The external ids of the rows the plain rule says match the scope (rows as the import maps them). */
export function expectedMatches(rows: AcledRow[], scope: Scope): string[] {
  const out: string[] = [];
  for (const row of rows) {
    const r = mapAcledRow(row, 0, { dataset: DATASET, datasetUrl: 'https://acleddata.com/data-export-tool/', reliability: 'B', credibility: 2 });
    if (r.ok && matchReportToScope(scope, r.report)) out.push(r.externalId);
  }
  return out.sort();
}

/** A pledge over Chernihiv (50 km) from March 2022: no shelling, no airstrikes (open-ended: a closed window would bring verdict-v2 in). */
export const CHERNIHIV_SCOPE: Scope = {
  places: [{ name: 'Chernihiv', lat: 51.4982, lon: 31.2893, radiusKm: 50 }],
  indicators: ['shelling', 'airstrike'],
  from: '2022-03-01T00:00:00Z',
  expectation: 'absence',
};
