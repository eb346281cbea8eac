/**
 * The dashboard in a real browser: Debian's Chromium driven by playwright-core (CI's .ci/run
 * installs `chromium` with apt when /usr/bin/chromium is missing; playwright's own browser
 * download cannot work here). Records a pledge through the API, opens the dashboard, opens the
 * pledge, sends a contradicting field report through the API, and waits for the badge to turn
 * `contradicted` live, without a reload. Leaves a screenshot in test-artifacts/dashboard.png.
 */
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Page } from 'playwright-core';
import { launchChromium, requireChromium, type LaunchedChromium } from './support/chromium';
import request from 'supertest';
import { bearer, bootApp, createKey, crimeaClaimBody, evidenceBody, pledgeBody, reportBody, type TestApp } from '../support/app';
import { listen } from '../e2e/read-side/helpers';
import { eventually } from '../support/http';

const ARTIFACTS = resolve(__dirname, '..', '..', 'test-artifacts');

jest.setTimeout(60_000);

describe('dashboard in Chromium', () => {
  let t: TestApp;
  let base: string;
  let checker: string;
  let viewer: string;
  let browser: LaunchedChromium | undefined;
  let page: Page;
  const pageErrors: string[] = [];
  /** Every URL the page requested: a key must never be in one (issue 16.4: the stream uses tickets). */
  const requested: string[] = [];

  beforeAll(async () => {
    requireChromium();
    // Reads are not public: the page has to ask for a key. Jobs run in-process (no Redis).
    t = await bootApp({ overrides: { pollIntervalMs: 50, publicRead: false } });
    base = await listen(t);
    checker = (await createKey(t, 'checker', 'browser-test checker')).key;
    viewer = (await createKey(t, 'viewer', 'browser-test viewer')).key;

    browser = await launchChromium({
      viewport: { width: 1280, height: 900 },
      locale: 'en-GB',
      timezoneId: 'UTC',
    });
    page = browser.page;
    page.on('pageerror', (err) => pageErrors.push(err.message));
    page.on('request', (req) => requested.push(req.url()));
    page.on('console', (msg) => {
      // The first, key-less requests are answered 401 on purpose; anything else is a fault.
      if (msg.type() === 'error' && !/status of 401/.test(msg.text())) pageErrors.push(msg.text());
    });
  });

  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  it('shows a pledge turn contradicted live, without a reload', async () => {
    const pledge = await request(t.http).post('/api/claims').set(bearer(checker)).send(pledgeBody());
    expect(pledge.status).toBe(201);
    const pledgeId: string = pledge.body.id;

    await page.goto(`${base}/`);
    // The page asks for a key, keeps it in localStorage, and sends it as a Bearer token.
    const dialog = page.locator('#key-dialog');
    await dialog.waitFor({ state: 'visible' });
    await page.fill('#key-input', viewer);
    await page.click('#key-save');
    await dialog.waitFor({ state: 'hidden' });
    expect(await page.evaluate("localStorage.getItem('claim-ledger.apiKey')")).toBe(viewer);

    const row = page.locator(`tr[data-claim-id="${pledgeId}"]`);
    await row.waitFor();
    expect(await row.locator('.badge').textContent()).toBe('unverified');
    await page.locator('#verify[data-state="ok"]').waitFor();
    await page.locator('#live[data-state="on"]').waitFor();

    // Filters: pledges only still shows it; claims only does not.
    await page.selectOption('#f-kind', 'claim');
    await page.click('#filters button[type="submit"]');
    await page.locator('#list-empty').waitFor({ state: 'visible' });
    await page.selectOption('#f-kind', 'pledge');
    await page.click('#filters button[type="submit"]');
    await row.waitFor();

    await row.locator('a.statement-link').click();
    await page.locator('#claim-status .badge[data-status="unverified"]').waitFor();
    await page.locator('#live[data-state="on"]').waitFor();
    // A marker that a reload would wipe out.
    await page.evaluate('window.__noReload = 42');
    // The live feed was opened with a single-use ticket, and no URL carried the key.
    expect(requested.some((u) => /\/api\/events\/stream\?.*ticket=clt_/.test(u))).toBe(true);
    expect(requested.filter((u) => u.includes(viewer) || /access_token=/.test(u))).toEqual([]);

    // A field report that matches the pledge's scope: the matcher attaches it as contradicting.
    const report = await request(t.http).post('/api/reports').set(bearer(checker)).send(reportBody());
    expect(report.status).toBe(202);

    await page.locator('#claim-status .badge[data-status="contradicted"]').waitFor({ timeout: 15_000 });
    expect(await page.evaluate('window.__noReload')).toBe(42);

    // The claim page: evidence with stance and grade, the chart, the history, the verify result.
    const evidence = page.locator(`tr[data-evidence-id="${report.body.evidenceId}"]`);
    await evidence.waitFor();
    expect(await evidence.locator('.stance').textContent()).toBe('contradicts');
    expect(await evidence.locator('.grade').textContent()).toBe('B2');
    expect(await evidence.locator('a').getAttribute('href')).toMatch(/^https:\/\/www\.themoscowtimes\.com\//);
    expect(await page.locator('svg.chart .line-contradict').count()).toBe(1);
    expect(await page.locator('svg.chart .status-label').allTextContents()).toContain('contradicted');
    expect(await page.locator('ol.history .badge').allTextContents()).toEqual(['contradicted', 'unverified']);
    await page.locator('#review-box:not([hidden])').waitFor();
    expect(await page.locator('#verify').textContent()).toMatch(/Ledger verified/);

    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard.png'), fullPage: true });

    // "As of" the moment the pledge was recorded: unverified, no evidence.
    const recordedAt: string = (await request(t.http).get(`/api/claims/${pledgeId}`).set(bearer(viewer))).body.recordedAt;
    await page.evaluate(`location.hash = ${JSON.stringify(`#/claims/${pledgeId}?asOf=${encodeURIComponent(recordedAt)}`)}`);
    await page.locator('.asof-banner').waitFor();
    await page.locator('#claim-status .badge[data-status="unverified"]').waitFor();
    expect(await page.locator('tr[data-evidence-id]').count()).toBe(0);
    expect(await page.inputValue('#asof-input')).not.toBe('');

    // Back on the list, the pledge carries its new status.
    await page.click('a.back');
    await page.locator(`tr[data-claim-id="${pledgeId}"] .badge[data-status="contradicted"]`).waitFor();
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard-list.png'), fullPage: true });

    expect(pageErrors).toEqual([]);
  });

  it('the evidence chart: a toggle to world time orders the points by observedAt; status labels never overlap (issue 15.14)', async () => {
    const claim = await request(t.http).post('/api/claims').set(bearer(checker)).send(crimeaClaimBody({ statement: 'A claim with a busy chart' }));
    const claimId: string = claim.body.id;
    // Attached in the order A, B, C; observed in the order B, C, A. Each moves the status, moments apart.
    const pieces = [
      { name: 'A', stance: 'supports', observedAt: '2022-04-02T10:00:00Z', publisher: 'One' },
      { name: 'B', stance: 'contradicts', observedAt: '2022-03-31T10:00:00Z', publisher: 'Two' },
      { name: 'C', stance: 'contradicts', observedAt: '2022-04-01T10:00:00Z', publisher: 'Three' },
      { name: 'D', stance: 'contradicts', observedAt: '2022-04-01T12:00:00Z', publisher: 'Four' },
    ];
    const ids: Record<string, string> = {};
    let changes = 0;
    for (const p of pieces) {
      const res = await request(t.http)
        .post(`/api/claims/${claimId}/evidence`)
        .set(bearer(checker))
        .send(evidenceBody({ stance: p.stance, reliability: 'A', credibility: 1, observedAt: p.observedAt, source: { url: `https://${p.publisher.toLowerCase()}.example/${p.name}`, publisher: p.publisher } }));
      expect(res.status).toBe(202);
      ids[p.name] = res.body.evidenceId;
      const before = changes;
      await eventually(`piece ${p.name} weighed`, async () => (await request(t.http).get(`/api/claims/${claimId}`).set(bearer(viewer))).body, (v) => v.evidence.length === Object.keys(ids).length && v.version > 1 + 2 * before);
      changes = (await request(t.http).get(`/api/claims/${claimId}`).set(bearer(viewer))).body.statusHistory.length - 1;
    }
    expect(changes).toBeGreaterThanOrEqual(3);
    // The ledger-time axis runs to now: a few seconds later the changes sit close together on it.
    await new Promise((r) => setTimeout(r, 4000));

    await page.goto(`${base}/`);
    await page.evaluate(`localStorage.setItem('claim-ledger.apiKey', ${JSON.stringify(viewer)})`);
    await page.goto(`${base}/#/claims/${claimId}`);
    await page.reload(); // with the key stored: no key dialog
    await page.locator('svg.chart[data-time="ledger"]').waitFor();
    expect(await page.getAttribute('#chart-time-ledger', 'aria-pressed')).toBe('true');

    /** Evidence ids of the chart's dots, left to right, with their times. */
    const dots = async () =>
      (await page.locator('svg.chart circle[data-evidence-id]').evaluateAll((els) => els.map((el) => ({ id: el.getAttribute('data-evidence-id'), t: el.getAttribute('data-t'), cx: Number(el.getAttribute('cx')) }))))
        .sort((a, b) => a.cx - b.cx);
    const labelBoxes = async () => {
      const labels = page.locator('svg.chart .status-label');
      const boxes = [];
      for (let i = 0; i < (await labels.count()); i++) boxes.push((await labels.nth(i).boundingBox())!);
      return boxes;
    };
    const overlapping = (boxes: Array<{ x: number; y: number; width: number; height: number }>) =>
      boxes.flatMap((a, i) => boxes.slice(i + 1).filter((b) => a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height).map(() => [a, boxes.indexOf(a)]));

    // Ledger time: the order of attachment; the labels of close status changes do not overlap.
    expect((await dots()).map((d) => d.id)).toEqual([ids.A, ids.B, ids.C, ids.D]);
    const ledgerLabels = await labelBoxes();
    expect(ledgerLabels.length).toBe(changes);
    expect(overlapping(ledgerLabels)).toEqual([]);

    // World time: the order of observation, on an axis of observation times.
    await page.click('#chart-time-world');
    await page.locator('svg.chart[data-time="world"]').waitFor();
    expect(await page.getAttribute('#chart-time-world', 'aria-pressed')).toBe('true');
    const world = await dots();
    expect(world.map((d) => d.id)).toEqual([ids.B, ids.C, ids.D, ids.A]);
    const times = world.map((d) => Date.parse(d.t!));
    expect(times).toEqual([...times].sort((a, b) => a - b));
    expect(times).toEqual(['2022-03-31T10:00:00Z', '2022-04-01T10:00:00Z', '2022-04-01T12:00:00Z', '2022-04-02T10:00:00Z'].map(Date.parse));
    const ticks = (await page.locator('svg.chart .tick-x').evaluateAll((els) => els.map((el) => el.getAttribute('data-t')))).map((t) => Date.parse(t!));
    // From when the claim was made (its madeAt) to the last observation, not ledger time.
    expect(ticks[0]).toBe(Date.parse('2022-03-30T12:00:00+03:00'));
    expect(ticks[ticks.length - 1]).toBe(Date.parse('2022-04-02T10:00:00Z'));
    expect(overlapping(await labelBoxes())).toEqual([]);
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard-world-time.png'), fullPage: true });

    await page.click('#chart-time-ledger');
    await page.locator('svg.chart[data-time="ledger"]').waitFor();
    expect(pageErrors).toEqual([]);
  });

  it("shows the editor's rating beside the machine status, the review history, and 'needs re-review' live (issue 14)", async () => {
    const claim = await request(t.http).post('/api/claims').set(bearer(checker)).send(crimeaClaimBody());
    const claimId: string = claim.body.id;
    const alice = (await createKey(t, 'editor', 'desk editor')).key;
    const bob = (await createKey(t, 'editor', 'chief editor')).key;
    await page.evaluate(`location.hash = ${JSON.stringify(`#/claims/${claimId}`)}`);
    await page.locator('#claim-status .badge[data-status="unverified"]').waitFor();
    await page.locator('#reviews-box:not([hidden])').waitFor();

    const proposed = await request(t.http)
      .post(`/api/claims/${claimId}/reviews`)
      .set(bearer(alice))
      .send({ rating: 'supported', explanation: 'Nothing contradicts it yet.', claimVersion: claim.body.version });
    expect(proposed.status).toBe(201);
    await page.locator(`ol.reviews li[data-review-id="${proposed.body.reviewId}"][data-state="proposed"]`).waitFor();
    expect((await request(t.http).post(`/api/claims/${claimId}/reviews/${proposed.body.reviewId}/approve`).set(bearer(bob)).send({})).status).toBe(200);
    await page.locator('#editor-rating .badge[data-rating="supported"]').waitFor();
    await page.locator(`ol.reviews li[data-state="published"]`).waitFor();
    expect(await page.locator('#needs-review').count()).toBe(0);

    // Evidence moves the machine status: the editor's rating stays, marked for re-review.
    expect((await request(t.http).post(`/api/claims/${claimId}/evidence`).set(bearer(checker)).send(evidenceBody())).status).toBe(202);
    await page.locator('#claim-status .badge[data-status="contradicted"]').waitFor({ timeout: 15_000 });
    await page.locator('#needs-review').waitFor();
    expect(await page.locator('#editor-rating .badge').textContent()).toBe('supported');
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard-review.png'), fullPage: true });
    expect(pageErrors).toEqual([]);
  });
});
