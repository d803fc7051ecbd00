// End-to-end: the built SPA, served with the API under one origin (the
// gateway serving SPA_DIR, or nginx), driven in Debian's Chromium.
//
//   E2E_BASE_URL=http://127.0.0.1:8080 node e2e/orders.e2e.mjs
//
// Env: E2E_BASE_URL (default http://127.0.0.1:8080), CHROMIUM_PATH (default
// /usr/bin/chromium), E2E_ARTIFACTS (screenshots; default e2e/artifacts),
// E2E_TIMEOUT_MS (each wait; default 30000).
import { mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
const BASE_URL = (process.env.E2E_BASE_URL || 'http://127.0.0.1:8080').replace(/\/$/, '');
const ARTIFACTS = resolve(process.env.E2E_ARTIFACTS || join(here, 'artifacts'));
const TIMEOUT = Number(process.env.E2E_TIMEOUT_MS || 30_000);
const SERVICES = ['gateway', 'orders', 'payments'];

mkdirSync(ARTIFACTS, { recursive: true });

let step = 'starting';
let currentPage;
const log = (message) => console.log(`e2e: ${message}`);

async function shot(page, name) {
  const path = join(ARTIFACTS, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  log(`screenshot ${path}`);
}

/** Records every status each just-placed order shows, so a change is seen live. */
function recordStatuses() {
  window.__statusLog = {};
  const record = () => {
    for (const row of document.querySelectorAll('[data-testid="placed-order"]')) {
      const badge = row.querySelector('[data-status]');
      if (!badge) continue;
      const seen = (window.__statusLog[row.dataset.orderId] ||= []);
      const status = badge.dataset.status;
      if (seen[seen.length - 1] !== status) seen.push(status);
    }
  };
  new MutationObserver(record).observe(document, { subtree: true, childList: true, attributes: true, characterData: true });
}

async function placeOrder(page, amount, description) {
  await page.getByLabel('Order amount').fill(amount);
  await page.getByLabel('Description').fill(description);
  const [response] = await Promise.all([
    page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === '/api/orders'),
    page.getByRole('button', { name: 'Place order' }).click(),
  ]);
  const acceptedAt = Date.now();
  if (response.status() !== 202) {
    throw new Error(`POST /api/orders answered ${response.status()}: ${await response.text()}`);
  }
  if (!response.request().headers()['idempotency-key']) throw new Error('POST /api/orders was sent without an Idempotency-Key');
  const order = await response.json();
  return { id: order.id, traceId: order.trace_id, acceptedAt };
}

function placedStatus(page, id) {
  return page.locator(`[data-testid="placed-order"][data-order-id="${id}"] [data-testid="order-status"]`);
}

async function expectBalance(page, text) {
  await page.getByTestId('balance').filter({ hasText: text }).waitFor({ timeout: TIMEOUT }).catch(async () => {
    const shown = await page.getByTestId('balance').textContent().catch(() => '(none)');
    throw new Error(`expected the balance ${text}, the page shows ${shown}`);
  });
}

async function main() {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  try {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    currentPage = page;
    page.setDefaultTimeout(TIMEOUT);
    await page.addInitScript(recordStatuses);
    const consoleErrors = [];
    page.on('console', (message) => {
      if (message.type() === 'error') consoleErrors.push(message.text());
    });
    const streamStatuses = [];
    page.on('response', (response) => {
      if (/\/api\/orders\/[^/]+\/events$/.test(new URL(response.url()).pathname)) streamStatuses.push(response.status());
    });
    let loads = 0;
    page.on('load', () => {
      loads += 1;
    });

    step = `open ${BASE_URL}`;
    await page.goto(`${BASE_URL}/`);
    const user = `e2e-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 6)}`;
    step = `say who we are (${user})`;
    await page.getByLabel('User id').fill(user);
    await page.getByRole('button', { name: 'Use' }).click();

    step = 'open an account';
    await page.getByText('You have no account yet.').waitFor();
    await page.getByRole('button', { name: 'Open an account' }).click();
    await expectBalance(page, '0.00');

    step = 'top up 30.00';
    await page.getByLabel('Top up amount').fill('30.00');
    await page.getByRole('button', { name: 'Top up' }).click();
    await expectBalance(page, '30.00');
    await shot(page, '01-account-topped-up');

    step = 'place an order that finishes (12.50)';
    const paid = await placeOrder(page, '12.50', 'two coffees');
    await placedStatus(page, paid.id).and(page.locator('[data-status="FINISHED"]')).waitFor();
    const finishedMs = Date.now() - paid.acceptedAt;
    log(`time from the order's 202 to FINISHED in the page: ${finishedMs} ms (event stream answered: ${streamStatuses.join(', ') || 'no request'})`);
    await expectBalance(page, '17.50');

    step = 'place an order cancelled for lack of funds (100.00)';
    const unpaid = await placeOrder(page, '100.00', 'a bicycle');
    await placedStatus(page, unpaid.id).and(page.locator('[data-status="CANCELLED"]')).waitFor();
    await page
      .locator(`[data-testid="placed-order"][data-order-id="${unpaid.id}"] [data-testid="failure-reason"]`)
      .filter({ hasText: 'INSUFFICIENT_FUNDS' })
      .waitFor();
    await expectBalance(page, '17.50');

    step = 'both statuses changed without a reload';
    const statusLog = await page.evaluate(() => window.__statusLog);
    for (const [id, final] of [[paid.id, 'FINISHED'], [unpaid.id, 'CANCELLED']]) {
      const seen = statusLog[id] || [];
      if (seen[0] !== 'NEW' || seen[seen.length - 1] !== final) {
        throw new Error(`order ${id}: expected NEW then ${final} in place, saw ${JSON.stringify(seen)}`);
      }
    }
    if (loads !== 1) throw new Error(`the page was loaded ${loads} times, expected once`);
    for (const [id, final] of [[paid.id, 'FINISHED'], [unpaid.id, 'CANCELLED']]) {
      await page.locator(`[data-testid="order-row"][data-order-id="${id}"] [data-status="${final}"]`).waitFor().catch(() => {
        throw new Error(`the order list does not show ${id} as ${final}`);
      });
    }
    await shot(page, '02-finished-and-cancelled');

    step = 'page through the list';
    for (let i = 1; i <= 4; i += 1) {
      const extra = await placeOrder(page, '1.00', `extra ${i}`);
      await placedStatus(page, extra.id).and(page.locator('[data-status="FINISHED"]')).waitFor();
    }
    await page.getByTestId('page-info').filter({ hasText: 'Page 1 of 2 · 6 orders' }).waitFor();
    if ((await page.getByTestId('order-row').count()) !== 5) throw new Error('the first page does not show 5 orders');
    await page.getByRole('button', { name: 'Next' }).click();
    await page.getByTestId('page-info').filter({ hasText: 'Page 2 of 2 · 6 orders' }).waitFor();
    await page.getByTestId('order-row').first().filter({ hasText: 'two coffees' }).waitFor();
    if ((await page.getByTestId('order-row').count()) !== 1) throw new Error('the second page does not show 1 order');
    await shot(page, '03-orders-page-2');

    step = "open the paid order and its trace";
    await page.getByTestId('order-row').getByRole('link', { name: 'two coffees' }).click();
    await page.waitForURL(`**/orders/${paid.id}`);
    await page.locator('[data-testid="order-status"][data-status="FINISHED"]').waitFor();
    if (paid.traceId) {
      const shown = await page.getByTestId('trace-id').textContent();
      if (shown !== paid.traceId) throw new Error(`the order page shows trace id ${shown}, the API said ${paid.traceId}`);
    }
    const deadline = Date.now() + TIMEOUT;
    let services = [];
    for (;;) {
      if (await page.getByTestId('tracing-disabled').isVisible()) {
        await shot(page, 'tracing-off');
        throw new Error('the SPA says tracing is off: run the system with tracing (Jaeger) on');
      }
      services = await page.getByTestId('trace-service').allTextContents();
      if (SERVICES.every((s) => services.some((seen) => seen.includes(s)))) break;
      if (Date.now() > deadline) {
        const problem = await page.getByRole('alert').allTextContents();
        throw new Error(
          `the trace shows spans of ${JSON.stringify(services)}, expected all of ${SERVICES.join(', ')}` +
            (problem.length ? `; the page says: ${problem.join(' / ')}` : ''),
        );
      }
      await page.waitForTimeout(1000);
      const refresh = page.getByRole('button', { name: 'Refresh' });
      if (await refresh.isEnabled()) await refresh.click();
    }
    const spans = await page.getByTestId('trace-span').count();
    await shot(page, '04-order-trace');

    step = 'phone width';
    await page.setViewportSize({ width: 390, height: 844 });
    await shot(page, '05-order-trace-phone');
    await page.getByRole('link', { name: '← All orders' }).click();
    await page.getByTestId('order-row').first().waitFor();
    await shot(page, '06-home-phone');

    if (consoleErrors.length > 0) log(`browser console errors (not fatal):\n  ${consoleErrors.join('\n  ')}`);
    log(`passed: user ${user}; trace of ${spans} spans from ${services.join(', ')}`);
  } catch (error) {
    if (currentPage) await shot(currentPage, 'failure').catch(() => {});
    throw error;
  } finally {
    await browser.close();
  }
}

main().catch(async (error) => {
  console.error(`e2e: FAILED at step "${step}": ${error instanceof Error ? error.message : error}`);
  console.error(`e2e: screenshots so far in ${ARTIFACTS}`);
  process.exit(1);
});
