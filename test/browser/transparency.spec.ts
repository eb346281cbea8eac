/**
 * "Verify this verdict" and the checkpoint badge in Chromium (Debian's, via playwright-core):
 * the browser checks the verdict event's hash, its inclusion proof and the checkpoint's
 * Ed25519 signature with WebCrypto; a tampered proof answer is caught.
 */
import type { Page } from 'playwright-core';
import { launchChromium, requireChromium, type LaunchedChromium } from './support/chromium';
import request from 'supertest';
import { bearer, bootApp, createKey, crimeaClaimBody, evidenceBody, type TestApp } from '../support/app';
import { eventually } from '../support/http';
import { listen } from '../e2e/read-side/helpers';


jest.setTimeout(60_000);

describe('transparency in the dashboard (Chromium)', () => {
  let t: TestApp;
  let base: string;
  let browser: LaunchedChromium | undefined;
  let page: Page;
  let claimId: string;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    requireChromium();
    t = await bootApp({ overrides: { pollIntervalMs: 50, checkpointIntervalMs: 50 } });
    base = await listen(t);
    const viewer = (await createKey(t, 'viewer', 'browser viewer')).key;
    const claim = await request(t.http).post('/api/claims').set(bearer(t.adminKey)).send(crimeaClaimBody());
    claimId = claim.body.id;
    await request(t.http).post(`/api/claims/${claimId}/evidence`).set(bearer(t.adminKey)).send(evidenceBody());
    await eventually('a verdict', async () => (await request(t.http).get(`/api/claims/${claimId}`).set(bearer(viewer))).body.status, (s) => s === 'contradicted');

    browser = await launchChromium({ viewport: { width: 1280, height: 900 } });
    page = browser.page;
    page.on('pageerror', (err) => pageErrors.push(err.message));
    await page.goto(`${base}/`);
    await page.evaluate(`localStorage.setItem('claim-ledger.apiKey', ${JSON.stringify(viewer)})`);
  });

  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  it('the badge shows the signed checkpoint; "verify this verdict" checks hash, proof and signature', async () => {
    await page.goto(`${base}/#/claims/${claimId}`);
    await page.reload(); // with the key stored: no key dialog
    const badge = page.locator('#checkpoint[data-state="ok"]');
    await badge.waitFor();
    expect(await badge.textContent()).toMatch(/^Signed: \d+ events · .+ · 0 cosignatures$/);

    await page.click('#verify-verdict');
    await page.locator('#verdict-proof[data-result="verified"]').waitFor();
    const ok = await page.locator('#verdict-proof-result li.ok').allTextContents();
    expect(ok).toHaveLength(3);
    expect(ok[2]).toMatch(/signed by the log's key localhost\/claim-ledger \(Ed25519\)/);
    expect(await page.locator('#verdict-proof-result li.bad').count()).toBe(0);

    // The same check against a doctored answer (the verdict's data changed): caught.
    await page.route(`**/api/claims/${claimId}/proof`, async (route) => {
      const res = await route.fetch();
      const body = await res.json();
      body.event.data.to = 'confirmed';
      await route.fulfill({ response: res, json: body });
    });
    await page.click('#verify-verdict');
    await page.locator('#verdict-proof[data-result="failed"]').waitFor();
    expect(await page.locator('#verdict-proof-result li.bad').allTextContents()).toEqual([expect.stringMatching(/does not hash to its recorded hash/)]);
    expect(pageErrors).toEqual([]);
  });
});
