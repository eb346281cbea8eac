/**
 * The dashboard's imports (issue 13) in Chromium: the Imports view lists an import and shows its
 * counts, SHA-256 and rejected lines; a pledge's page says which imported rows count and why
 * ("some day between …", "within 25 km of …"). Public reads, jobs in-process.
 */
import type { Page } from 'playwright-core';
import { launchChromium, requireChromium, type LaunchedChromium } from './support/chromium';
import request from 'supertest';
import { bearer, bootApp, pledgeBody, type TestApp } from '../support/app';
import { listen } from '../e2e/read-side/helpers';
import { acledCsv, acledRow } from '../support/acled';
import { waitFor, waitForIdle } from '../support/jobs';

jest.setTimeout(60_000);

describe('dashboard imports in Chromium', () => {
  let t: TestApp;
  let base: string;
  let browser: LaunchedChromium | undefined;
  let page: Page;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    requireChromium();
    t = await bootApp({ overrides: { pollIntervalMs: 50, publicRead: true } });
    base = await listen(t);
    browser = await launchChromium({
      timezoneId: 'UTC',
    });
    page = browser.page;
    page.on('pageerror', (err) => pageErrors.push(err.message));
  });

  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  it('lists imports, shows one with its rejected lines, and explains a pledge\'s imported rows', async () => {
    const scope = { places: [{ name: 'Chernihiv', lat: 51.4982, lon: 31.2893, radiusKm: 50 }], indicators: ['shelling'], from: '2022-03-01T00:00:00Z', expectation: 'absence' };
    const pledge = await request(t.http).post('/api/claims').set(bearer(t.adminKey)).send(pledgeBody({ scope }));
    const near = { location: 'Chernihiv', latitude: '51.4982', longitude: '31.2893', sub_event_type: 'Shelling/artillery/missile attack', event_date: '2022-03-30' };
    const csv = acledCsv([acledRow(1, { ...near, time_precision: '2', geo_precision: '2' }), acledRow(2, { latitude: '123' })]);
    const up = await request(t.http).post('/api/imports?format=acled&dataset=acled-ua').set(bearer(t.adminKey)).set('content-type', 'text/csv').send(csv);
    expect(up.status).toBe(202);
    const importId = up.body.importId as string;
    await waitFor('the import', async () => (await request(t.http).get(`/api/imports/${importId}`)).body.state, (s) => s === 'done');
    await waitForIdle(t);

    await page.goto(`${base}/#/imports`);
    await page.locator(`#imports-view tr[data-import-id="${importId}"]`).waitFor();
    await page.click(`#imports-view tr[data-import-id="${importId}"] a`);
    await page.locator('.import-errors').waitFor();
    const text = await page.locator('#imports-view').innerText();
    expect(text).toContain(up.body.importId);
    expect(text).toMatch(/latitude/);
    expect(text).toContain((await request(t.http).get(`/api/imports/${importId}`)).body.sha256);

    await page.goto(`${base}/#/claims/${pledge.body.id}`);
    const rows = page.locator('#imported-rows li');
    await rows.first().waitFor();
    const why = await rows.first().innerText();
    expect(why).toContain('acled-ua UKR1');
    expect(why).toContain('some day between 2022-03-27 and 2022-04-02');
    expect(why).toContain('within 25 km of Chernihiv');
    expect(pageErrors).toEqual([]);
  });
});
