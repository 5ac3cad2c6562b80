// The operations console in a real browser (Debian's Chromium driven by playwright-core), selected as a
// user sees it (roles and labels): the admin signs in at /console, finds a checkout's trace by its id,
// sees spans from every service it crossed, and opens the log lines of one span. A customer is told the
// console needs an admin. Screenshots go to test-results/console/ (kept by CI as artifacts).

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { waitFor } from '@souk/chassis/testing';
import { startDevhost, type Devhost } from './devhost-harness.ts';
import { PASSWORD, shop, type Shop } from './shop-client.ts';
import { tracedCheckout } from './traced-checkout.ts';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const screenshots = path.join(new URL('../..', import.meta.url).pathname, 'test-results', 'console');

let devhost: Devhost;
let s: Shop;
let browser: Browser;
let adminPassword: string;

before(async () => {
  mkdirSync(screenshots, { recursive: true });
  devhost = await startDevhost([]);
  s = shop(devhost.gateway);
  adminPassword = await devhost.secret('admin-password');
  // The flags Chromium needs on this machine: no sandbox as root, nothing that calls out to Google.
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
});
after(async () => {
  await browser?.close();
  await devhost?.stop();
});

async function signIn(page: Page, email: string, password: string): Promise<void> {
  await page.goto(`${devhost.gateway}/console/`);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

test('the admin finds a checkout’s trace, sees every service it crossed, and opens the logs of a span', async () => {
  const admin = await s.login('admin@souk.local', adminPassword);
  const product = (await s.api('/api/v1/catalog/products?pageSize=1')).body.items[0].id;
  assert.equal((await s.setStock(admin, product, 100)).status, 200);
  const { traceId } = await tracedCheckout(s, product, 'Console');
  // The spans of the consumers arrive within their exporters' batch delay: wait for them at the API first.
  await waitFor(
    async () => {
      const res = await s.api(`/api/v1/telemetry/traces/${traceId}`, { token: admin });
      return res.status === 200 && (res.body.spans as { service: string }[]).some((x) => x.service === 'shipping');
    },
    { timeoutMs: 60_000, what: `the spans of trace ${traceId}` },
  );

  const page = await browser.newPage({ viewport: { width: 1366, height: 800 } });
  try {
    await signIn(page, 'admin@souk.local', adminPassword);
    await page.getByRole('link', { name: 'Traces' }).click();
    await page.getByRole('table', { name: 'Traces' }).waitFor();
    await page.screenshot({ path: path.join(screenshots, 'traces.png'), fullPage: true });

    await page.getByLabel('Trace ID').fill(traceId);
    await page.getByRole('button', { name: 'Search' }).click();
    await page.getByRole('heading', { name: `Trace ${traceId}` }).waitFor();
    // Each service's spans are buttons named "<service> <span name>" in the waterfall (waitFor: it renders once loaded).
    for (const service of ['gateway', 'orders', 'inventory', 'payments', 'payment-provider', 'shipping'])
      await page
        .getByRole('button', { name: new RegExp(`^${service} `) })
        .first()
        .waitFor();
    await page.screenshot({ path: path.join(screenshots, 'trace-waterfall.png'), fullPage: true });

    await page
      .getByRole('button', { name: /^orders POST \/api\/v1\/orders$/ })
      .first()
      .click();
    const details = page.getByRole('region', { name: 'Span details' });
    await details.waitFor();
    await details.getByRole('button', { name: 'Logs of this span' }).click();
    const lines = page.getByRole('table', { name: 'Log lines' });
    await lines.getByText('order placed').first().waitFor();
    assert.ok((await lines.getByRole('row').count()) > 1);
    await page.screenshot({ path: path.join(screenshots, 'span-logs.png'), fullPage: true });
  } finally {
    await page.close();
  }
});

test('the map shows the services and the calls of the checkout; the metrics page charts a service’s routes', async () => {
  const page = await browser.newPage({ viewport: { width: 1366, height: 900 } });
  try {
    await signIn(page, 'admin@souk.local', adminPassword);
    await page.getByRole('link', { name: 'Map' }).click();
    await page.getByRole('heading', { name: 'Service map' }).waitFor();
    const services = page.getByRole('list', { name: 'Services' });
    for (const service of ['gateway', 'orders', 'payments', 'inventory'])
      await services.getByRole('link', { name: service, exact: true }).waitFor();
    // The checkout of the first test called inventory from orders: a call the map lists (from traces and metrics).
    const calls = page.getByRole('table', { name: 'Calls' });
    await calls
      .getByRole('row')
      .filter({ hasText: 'orders' })
      .filter({ hasText: 'inventory' })
      .first()
      .waitFor({ timeout: 30_000 });
    await page.screenshot({ path: path.join(screenshots, 'map.png'), fullPage: true });

    await services.getByRole('link', { name: 'gateway', exact: true }).click();
    await page.getByRole('heading', { name: 'Metrics' }).waitFor();
    await page.getByRole('heading', { name: 'gateway' }).waitFor();
    await page.getByRole('figure', { name: 'Requests per second' }).waitFor();
    // The console's own calls go through the gateway's /api/v1/telemetry route: measured within a scrape or two.
    await page
      .getByRole('table', { name: 'Routes' })
      .getByRole('row')
      .filter({ hasText: '/api/v1/telemetry' })
      .first()
      .waitFor({ timeout: 30_000 });
    await page.screenshot({ path: path.join(screenshots, 'metrics.png'), fullPage: true });
  } finally {
    await page.close();
  }
});

test('a customer who signs in is told the console needs an admin; on a phone-sized screen too', async () => {
  const customer = await s.signUp('Nosy');
  const page = await browser.newPage({ viewport: { width: 390, height: 844 } });
  try {
    await signIn(page, customer.email, PASSWORD);
    await page.getByRole('link', { name: 'Traces' }).click();
    await page.getByRole('alert').filter({ hasText: 'This console needs an admin account.' }).waitFor();
    await page.screenshot({ path: path.join(screenshots, 'customer-refused-phone.png'), fullPage: true });
  } finally {
    await page.close();
  }
});
