/**
 * The claim's public page (GET /claims/:id) in Chromium with JavaScript disabled (issue 15.7):
 * a reader, or a crawler that runs no script, sees the claim text, its status and the proof, and
 * the ClaimReview is there as application/ld+json. Runs as a publisher does: PUBLIC_READ=true.
 */
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Page } from 'playwright-core';
import { launchChromium, requireChromium, type LaunchedChromium } from './support/chromium';
import request from 'supertest';
import { bearer, bootApp, crimeaClaimBody, evidenceBody, type TestApp } from '../support/app';
import { eventually } from '../support/http';
import { listen } from '../e2e/read-side/helpers';

const ARTIFACTS = resolve(__dirname, '..', '..', 'test-artifacts');
const STATEMENT = 'Crimea </script><b>was</b> & is "ours"';

jest.setTimeout(60_000);

describe('the public claim page without JavaScript (Chromium)', () => {
  let t: TestApp;
  let base: string;
  let browser: LaunchedChromium | undefined;
  let page: Page;
  let claimId: string;
  const violations: string[] = [];

  beforeAll(async () => {
    requireChromium();
    t = await bootApp({ overrides: { pollIntervalMs: 50, checkpointIntervalMs: 50, publicRead: true } });
    base = await listen(t);
    claimId = (await request(t.http).post('/api/claims').set(bearer(t.adminKey)).send(crimeaClaimBody({ statement: STATEMENT }))).body.id;
    await request(t.http).post(`/api/claims/${claimId}/evidence`).set(bearer(t.adminKey)).send(evidenceBody());
    await eventually('a verdict', async () => (await request(t.http).get(`/api/claims/${claimId}`)).body.status, (s) => s === 'contradicted');

    browser = await launchChromium({
      javaScriptEnabled: false,
      viewport: { width: 1024, height: 800 },
    });
    page = browser.page;
    // A CSP violation (e.g. the inline style refused) shows up on the console.
    page.on('console', (msg) => {
      if (msg.type() === 'error') violations.push(msg.text());
    });
  });

  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  it('reads the claim text, its status and the proof with JavaScript disabled; the ClaimReview is embedded', async () => {
    const res = await page.goto(`${base}/claims/${claimId}`);
    expect(res?.status()).toBe(200);
    // The statement as text (its "</script>" and "<b>" are characters, not markup).
    expect(await page.locator('#statement').innerText()).toBe(STATEMENT);
    expect(await page.locator('#statement b').count()).toBe(0);
    expect(await page.locator('#status h2').innerText()).toBe('Status: contradicted');
    expect(await page.locator('#proof-position').innerText()).toMatch(/^#\d+ \(VerificationStatusChanged\)$/);
    // The inline style is applied (allowed by its hash), so the CSP refused nothing.
    expect(await page.evaluate("getComputedStyle(document.querySelector('blockquote')).borderLeftStyle")).toBe('solid');
    expect(violations).toEqual([]);

    const ld = await page.locator('script[type="application/ld+json"]').textContent();
    const review = JSON.parse(ld ?? '');
    expect(review).toMatchObject({ '@type': 'ClaimReview', claimReviewed: STATEMENT, reviewRating: { alternateName: 'contradicted' } });
    expect(review.url).toMatch(new RegExp(`/claims/${claimId}$`));
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, 'claim-page.png'), fullPage: true });
  });

  it('an unknown claim is an HTML 404 page a reader can read', async () => {
    const res = await page.goto(`${base}/claims/00000000-0000-4000-8000-000000000000`);
    expect(res?.status()).toBe(404);
    expect(await page.locator('#detail').innerText()).toBe('no claim with id 00000000-0000-4000-8000-000000000000');
  });
});
