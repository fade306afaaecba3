// The operator console, driven in Debian's chromium against a real server: sign in, the
// dashboard's charts, a plan with two prices, a code import with progress, and a redemption
// in the member centre that takes a code out of stock.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { seedDemo } from '../../src/demo/demo-seed.js';
import { createTessera, type Tessera } from '../../src/main.js';
import { ManualClock } from '../../src/platform/clock.js';
import { simulate } from '../../src/simulator/index.js';
import { freshDatabase, type FreshDatabase } from '../helpers/database.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ROOT = path.resolve(import.meta.dirname, '../..');
const SCREENSHOTS = path.join(ROOT, 'test-results', 'screenshots');
const hasChromium = fs.existsSync(CHROMIUM);
if (!hasChromium) {
  // CI installs it (.ci/run); elsewhere the browser tests are skipped, loudly.
  if (process.env.CI) throw new Error(`${CHROMIUM} is missing: install it (apt-get install -y chromium) to run the browser tests`);
  console.warn(`Skipping the browser tests: ${CHROMIUM} is missing (apt-get install -y chromium)`);
}

const WAIT = { timeout: 30_000 };
const API_HEADERS = (key: string) => ({ authorization: `Bearer ${key}`, 'content-type': 'application/json' });

describe.skipIf(!hasChromium)('operator console in a browser', { timeout: 120_000 }, () => {
  let database: FreshDatabase;
  let tessera: Tessera;
  let base: string;
  let key: string;
  let context: BrowserContext;
  let page: Page;
  let userDataDir: string;

  async function api<T>(method: 'GET' | 'POST', url: string, body?: unknown): Promise<T> {
    const response = await fetch(base + url, { method, headers: API_HEADERS(key), body: body === undefined ? undefined : JSON.stringify(body) });
    const parsed = (await response.json()) as T;
    if (!response.ok) throw new Error(`${method} ${url} answered ${response.status}: ${JSON.stringify(parsed)}`);
    return parsed;
  }
  const fmt = (n: number) => new Intl.NumberFormat('en').format(n);

  beforeAll(async () => {
    // The server serves what `npm run build:console` built; build it when missing or stale.
    execFileSync(process.execPath, [path.join(ROOT, 'console', 'build.mjs'), '--if-missing'], { cwd: ROOT, stdio: 'inherit' });

    // The demo seed and a small simulation that ends now (on a manual clock of its own, as
    // `npm start` does), then a real server on the real clock over the same database.
    database = await freshDatabase('sqlite');
    key = database.config.adminKey!;
    const clock = new ManualClock(Date.now());
    const grower = await createTessera(database.config, { logger: false, clock });
    try {
      await seedDemo(grower.db, grower.services, clock, { members: 20 });
      await simulate(grower.db, grower.services, clock, { members: 80, days: 90, seed: 7, endAt: clock.now() });
    } finally {
      await grower.close();
    }
    tessera = await createTessera(database.config, { logger: false });
    base = await tessera.app.listen({ port: 0, host: '127.0.0.1' });

    userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tessera-chromium-'));
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM,
      headless: true,
      viewport: { width: 1400, height: 1000 },
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
    context.setDefaultTimeout(WAIT.timeout);
    page = context.pages()[0] ?? (await context.newPage());
  }, 240_000);

  afterAll(async () => {
    await context?.close();
    await tessera?.close();
    await database?.drop();
    if (userDataDir) fs.rmSync(userDataDir, { recursive: true, force: true });
  });

  beforeEach(({ task, onTestFailed }) => {
    onTestFailed(async () => {
      fs.mkdirSync(SCREENSHOTS, { recursive: true });
      const file = path.join(SCREENSHOTS, `${task.name.replace(/[^a-z0-9]+/gi, '-').toLowerCase()}.png`);
      await page?.screenshot({ path: file, fullPage: true }).catch(() => undefined);
      console.error(`Screenshot of the failure: ${file}`);
    });
  });

  it('signs in with an operator key, and shows the API error for a bad one', async () => {
    await page.goto(`${base}/console/`);
    await page.fill('input[name=apiKey]', 'tsk_admin_not-a-real-key');
    await page.click('button[type=submit]');
    const banner = page.locator('.error-banner');
    await banner.waitFor(WAIT);
    expect(await banner.textContent()).toContain('invalid_api_key');
    await expect.poll(() => page.evaluate(() => sessionStorage.length)).toBe(0);

    await page.fill('input[name=apiKey]', key);
    await page.click('button[type=submit]');
    await page.locator('nav.sidebar').waitFor(WAIT);
    await page.locator('h1', { hasText: 'Dashboard' }).waitFor(WAIT);
    expect(await page.evaluate(() => sessionStorage.getItem('tessera.operatorKey'))).toBe(key);

    // A reload keeps the session; a deep link answers the app, not a 404.
    await page.goto(`${base}/console/plans`);
    await page.locator('h1', { hasText: 'Plans & prices' }).waitFor(WAIT);
  });

  it('opens every screen from the left nav, and their detail pages, without an error', async () => {
    const pageErrors: string[] = [];
    const onError = (error: Error) => pageErrors.push(error.message);
    page.on('pageerror', onError);
    try {
      await page.goto(`${base}/console/`);
      const screens: Array<[string, string]> = [
        ['Plans & prices', 'Plans & prices'],
        ['Benefits', 'Benefits'],
        ['Code pools', 'Code pools'],
        ['Points mall', 'Points mall'],
        ['Rollouts', 'Rollouts'],
        ['Partners', 'Partners'],
        ['Webhooks', 'Webhooks'],
        ['Members', 'Members'],
        ['Member centre', 'Member centre'],
        ['Dashboard', 'Dashboard'],
      ];
      for (const [link, title] of screens) {
        await page.click(`nav.sidebar a:text-is("${link}")`);
        await page.locator('main h1', { hasText: title }).waitFor(WAIT);
        await expect.poll(() => page.locator('main .muted:text-is("Loading…")').count(), WAIT).toBe(0);
        expect(await page.locator('main .error-banner').count(), link).toBe(0);
      }
      // The first row of each list opens its detail page.
      for (const [list, detail] of [
        ['/plans', 'Current version'],
        ['/pools', 'Stock'],
        ['/rollouts', 'Internal allowlist'],
        ['/partners', 'Agreements'],
        ['/members', 'Loyalty score'],
      ] as const) {
        await page.goto(`${base}/console${list}`);
        await page.locator('main table tbody tr a').first().click();
        await page.locator('main h2', { hasText: detail }).first().waitFor(WAIT);
        await expect.poll(() => page.locator('main .muted:text-is("Loading…")').count(), WAIT).toBe(0);
        expect(await page.locator('main .error-banner').count(), list).toBe(0);
      }
    } finally {
      page.off('pageerror', onError);
    }
    expect(pageErrors).toEqual([]);
  });

  it("renders the dashboard's charts with their numbers", async () => {
    const members = await api<{ totals: { subscribers: number } }>('GET', '/v1/analytics/members');
    const liability = await api<{ outstanding: number }>('GET', '/v1/analytics/points-liability');
    const stock = await api<{ pools: Array<{ name: string; onHand: number }> }>('GET', '/v1/analytics/stock');
    const conversion = await api<{ cohortSize: number; partners: Array<{ name: string; per100: number }> }>('GET', '/v1/analytics/conversion');
    expect(members.totals.subscribers).toBeGreaterThan(0);
    expect(stock.pools.length).toBeGreaterThan(0);
    expect(conversion.partners.some((p) => p.per100 > 0)).toBe(true);

    await page.goto(`${base}/console/`);
    const figure = (id: string) => page.locator(`[data-testid=${id}-figure]`);
    await expect.poll(() => figure('chart-members').textContent(), WAIT).toBe(fmt(members.totals.subscribers));
    await expect.poll(() => figure('chart-liability').textContent(), WAIT).toBe(fmt(liability.outstanding));
    const onHand = stock.pools.reduce((sum, p) => sum + p.onHand, 0);
    await expect.poll(() => figure('chart-stock').textContent(), WAIT).toBe(fmt(onHand));
    await expect.poll(() => figure('chart-conversion').textContent(), WAIT).toBe(fmt(conversion.cohortSize));

    // Each chart is drawn (an SVG with its marks), and the stock chart labels every pool's bar with its count.
    for (const id of ['chart-members', 'chart-liability', 'chart-stock']) {
      await page.locator(`[data-testid=${id}] svg.recharts-surface`).first().waitFor(WAIT);
    }
    await page.locator('[data-testid=chart-members] .recharts-line-curve').first().waitFor(WAIT);
    await page.locator('[data-testid=chart-stock] .recharts-bar-rectangle').first().waitFor(WAIT);
    const labels = await page.locator('[data-testid=chart-stock] .recharts-label-list text').allTextContents();
    for (const pool of stock.pools) expect(labels).toContain(fmt(pool.onHand));

    // The conversion chart has a bar per partner, labelled with its figure per 100 new members.
    await page.locator('[data-testid=chart-conversion] .recharts-bar-rectangle').first().waitFor(WAIT);
    const per100 = await page.locator('[data-testid=chart-conversion] .recharts-label-list text').allTextContents();
    for (const partner of conversion.partners) if (partner.per100 > 0) expect(per100).toContain(String(partner.per100));
    const names = await page.locator('[data-testid=chart-conversion] .recharts-cartesian-axis-tick-value').allTextContents();
    for (const partner of conversion.partners) expect(names).toContain(partner.name);
  });

  it('creates a plan with two prices, showing a field error first', async () => {
    await page.goto(`${base}/console/plans`);
    await page.click('button:has-text("New plan")');
    const form = page.locator('form[aria-label="Create a plan"]');
    await form.waitFor(WAIT);
    await form.locator('input[name=code]').fill('browser-vip');
    await form.locator('input[name=name]').fill('Browser VIP');
    await form.locator('input[name=term]').fill('yearly');
    await form.locator('input[name="prices.0.minLoyaltyScore"]').fill('500');
    await form.locator('input[name="prices.0.amount"]').fill('99');
    await form.locator('input[name="prices.1.minLoyaltyScore"]').fill('');
    await form.locator('input[name="prices.1.amount"]').fill('999.50');
    await form.locator('button[type=submit]').click();

    // The API refuses the term; its message shows next to the field, and nothing is created.
    const termError = form.locator('[data-param=term] .field-error');
    await termError.waitFor(WAIT);
    expect(await termError.textContent()).toContain("term 'yearly'");
    expect((await api<{ data: Array<{ code: string }> }>('GET', '/v1/plans?limit=100')).data.map((p) => p.code)).not.toContain('browser-vip');

    await form.locator('input[name=term]').fill('P1Y');
    await form.locator('button[type=submit]').click();
    const prices = page.locator('[data-testid=plan-prices]');
    await prices.waitFor(WAIT);
    await page.locator('h1', { hasText: 'Browser VIP' }).waitFor(WAIT);
    const rows = await prices.locator('tbody tr').allTextContents();
    expect(rows).toHaveLength(2);
    expect(rows.join(' | ')).toContain('500');
    expect(rows.join(' | ')).toContain('99.00');
    expect(rows.join(' | ')).toContain('999.50');

    const plans = await api<{ data: Array<{ code: string; prices: Array<{ minLoyaltyScore: number | null; amount: { amount: number } }> }> }>(
      'GET',
      '/v1/plans?limit=100',
    );
    const created = plans.data.find((p) => p.code === 'browser-vip');
    expect(created?.prices).toEqual(
      expect.arrayContaining([
        { minLoyaltyScore: 500, amount: { amount: 9900, currency: 'CNY' } },
        { minLoyaltyScore: null, amount: { amount: 99950, currency: 'CNY' } },
      ]),
    );
  });

  let poolId = '';
  const CODES = Array.from({ length: 1500 }, (_, i) => `BROWSER-${String(i).padStart(5, '0')}-XYZ`);

  it('imports codes into a new pool in chunks with a progress bar, and shows the stock', async () => {
    await page.goto(`${base}/console/pools`);
    await page.click('button:has-text("New pool")');
    const create = page.locator('form[aria-label="Create a pool"]');
    await create.locator('input[name=name]').fill('Browser test cards');
    await create.locator('input[name=unitCost]').fill('12.50');
    await create.locator('button[type=submit]').click();
    await page.locator('h1', { hasText: 'Browser test cards' }).waitFor(WAIT);
    poolId = page.url().split('/pools/')[1] ?? '';
    expect(poolId).toMatch(/^pool_/);
    expect(await page.locator('[data-testid=stock-available] .stat-value').textContent()).toBe('0');

    const form = page.locator('form[aria-label="Import codes"]');
    // 1,500 codes and one repeated: two chunks (of up to 1,000), one duplicate.
    await form.locator('textarea[name=codes]').fill([...CODES, CODES[0]].join('\n'));
    await expect.poll(() => form.locator('[data-testid=codes-count]').textContent()).toContain('1,501 codes in 2 chunks');
    await form.locator('button[type=submit]').click();

    const status = page.locator('[data-testid=import-status]');
    await expect.poll(() => status.textContent(), WAIT).toContain('Done: 1,500 imported, 1 duplicates skipped');
    expect(await status.textContent()).toContain('2 of 2 chunks');
    const bar = page.locator('[data-testid=import-progress] progress');
    expect(await bar.getAttribute('value')).toBe('1501');
    expect(await bar.getAttribute('max')).toBe('1501');
    await expect.poll(() => page.locator('[data-testid=stock-available] .stat-value').textContent(), WAIT).toBe('1,500');

    const pool = await api<{ total: number; available: number }>('GET', `/v1/pools/${poolId}`);
    expect(pool).toMatchObject({ total: 1500, available: 1500 });
    expect((await api<{ data: unknown[] }>('GET', `/v1/pools/${poolId}/batches`)).data).toHaveLength(2);

    // A CSV file with a code column: read in the browser, one more chunk.
    const csv = ['code,serial', ...Array.from({ length: 10 }, (_, i) => `FILE-${i}-ABC,${i}`), `${CODES[1]},99`].join('\n');
    await form.locator('input[type=file]').setInputFiles({ name: 'cards.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
    await expect.poll(() => form.locator('[data-testid=codes-count]').textContent()).toContain('11 codes in 1 chunk');
    await form.locator('button[type=submit]').click();
    await expect.poll(() => status.textContent(), WAIT).toContain('Done: 10 imported, 1 duplicates skipped');
    await expect.poll(() => page.locator('[data-testid=stock-available] .stat-value').textContent(), WAIT).toBe('1,510');
    expect(await api<{ total: number; available: number }>('GET', `/v1/pools/${poolId}`)).toMatchObject({ total: 1510, available: 1510 });
    expect((await api<{ data: unknown[] }>('GET', `/v1/pools/${poolId}/batches`)).data).toHaveLength(3);

    // The pool list shows the same stock.
    await page.goto(`${base}/console/pools`);
    await expect.poll(() => page.locator(`tr[data-pool-id="${poolId}"] [data-testid=pool-available]`).textContent(), WAIT).toBe('1,510');
  });

  it('redeems in the member centre, shows the code, and the stock goes down', async () => {
    expect(poolId).not.toBe('');
    const member = await api<{ id: string }>('POST', '/v1/members', { externalId: 'browser-shopper', displayName: 'Browser Shopper' });
    await api('POST', `/v1/members/${member.id}/points/earn`, { points: 1000, reason: 'browser test' });
    const item = await api<{ id: string }>('POST', '/v1/catalog/items', { name: 'Browser card', pointsPrice: 300, poolId, perMemberLimit: 5 });

    // Found by externalId through the picker, as an operator would.
    await page.goto(`${base}/console/member-centre`);
    await page.fill('input[name=memberSearch]', 'browser-shopper');
    await page.click('form[role=search] button[type=submit]');
    await page.locator('h1', { hasText: 'Member centre: Browser Shopper' }).waitFor(WAIT);
    expect(page.url()).toContain(`memberId=${member.id}`);

    const card = page.locator(`[data-testid=mall-item][data-item-id="${item.id}"]`);
    await card.waitFor(WAIT);
    expect(await card.locator('[data-testid=item-stock]').textContent()).toBe('1,510');
    expect(await card.textContent()).toContain('You may redeem this.');
    expect(await page.locator('[data-testid=centre-points]').textContent()).toBe('1,000');

    await card.locator('button:has-text("Redeem")').click();
    const code = page.locator('[data-testid=receipt-code]').first();
    await code.waitFor(WAIT);
    expect(CODES).toContain(await code.textContent());
    await expect.poll(() => card.locator('[data-testid=item-stock]').textContent(), WAIT).toBe('1,509');
    await expect.poll(() => page.locator('[data-testid=centre-points]').textContent(), WAIT).toBe('700');

    const pool = await api<{ available: number; issued: number }>('GET', `/v1/pools/${poolId}`);
    expect(pool).toMatchObject({ available: 1509, issued: 1 });

    // A member who cannot afford an item sees why not, and cannot press Redeem.
    const poor = await api<{ id: string }>('POST', '/v1/members', { externalId: 'browser-poor' });
    await page.goto(`${base}/console/member-centre?memberId=${poor.id}`);
    const poorCard = page.locator(`[data-testid=mall-item][data-item-id="${item.id}"]`);
    await poorCard.locator('[data-testid=why-not] li').first().waitFor(WAIT);
    expect(await poorCard.locator('button:has-text("Redeem")').isDisabled()).toBe(true);
  });
});
