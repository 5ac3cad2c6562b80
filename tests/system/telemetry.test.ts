// Telemetry and the console in the running system (issue 13), on one devhost. One checkout, traced from the
// caller's sampled traceparent, is found at telemetry through the gateway as the admin, with spans from
// every service it crossed, parented across HTTP hops and event deliveries; every log line it caused is
// found by its trace id (the devhost ships every process's lines); every instance is scraped, its /metrics
// passes promtool, and an admin-only API refuses a customer. Then the console in a real browser (Debian's
// Chromium driven by playwright-core), selected as a user sees it (roles and labels): the admin finds that
// trace, sees spans from every service, opens the log lines of a span, the map and the metrics; a customer
// is told the console needs an admin; the admin sets a fault in the config editor that parks a real event,
// clears it and redrives the dead letter; and, last, kills payments from the instances page while checkouts
// run and watches the breaker open, the failing call on the map and the sagas compensate, then restarts it.
// Screenshots go to test-results/console/.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { checkExposition } from '../../platform/telemetry/src/scrape/prometheus-text.ts';
import { waitFor } from '@souk/chassis/testing';
import { startDevhost, type Devhost } from './devhost-harness.ts';
import { PASSWORD, shop, type Shop } from './shop-client.ts';
import { tracedCheckout } from './traced-checkout.ts';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const screenshots = path.join(new URL('../..', import.meta.url).pathname, 'test-results', 'console');

let devhost: Devhost;
let s: Shop;
let admin: string;
let adminPassword: string;
let browser: Browser;
/** The trace of one checkout made in `before`. */
let traceId: string;

interface Span {
  spanId: string;
  parentSpanId: string | null;
  service: string;
  kind: number;
  name: string;
}

before(async () => {
  mkdirSync(screenshots, { recursive: true });
  devhost = await startDevhost([]);
  s = shop(devhost.gateway);
  adminPassword = await devhost.secret('admin-password');
  admin = await s.login('admin@souk.local', adminPassword);
  const product = (await s.api('/api/v1/catalog/products?pageSize=1')).body.items[0].id;
  assert.equal((await s.setStock(admin, product, 100)).status, 200);
  ({ traceId } = await tracedCheckout(s, product));
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

test('a checkout’s trace holds every service it crossed, parented across HTTP and events, and its log lines', async () => {
  const expected = [
    'gateway',
    'orders',
    'cart',
    'inventory',
    'payments',
    'payment-provider',
    'shipping',
    'order-history',
    'notifications',
  ];
  const spans = await waitFor(
    async () => {
      const res = await s.api(`/api/v1/telemetry/traces/${traceId}`, { token: admin });
      if (res.status !== 200) return undefined;
      const list = res.body.spans as Span[];
      const services = new Set(list.map((x) => x.service));
      return expected.every((name) => services.has(name)) ? list : undefined;
    },
    { timeoutMs: 60_000, what: `spans of ${expected.join(', ')} in trace ${traceId}` },
  );
  const byId = new Map(spans.map((x) => [x.spanId, x]));
  const parentOf = (x: Span) => (x.parentSpanId ? byId.get(x.parentSpanId) : undefined);
  // HTTP: each service's server span hangs under a client span of its caller.
  const server = (service: string, route: RegExp) =>
    spans.find((x) => x.service === service && x.kind === 2 && route.test(x.name));
  const reserve = server('inventory', /reservations/)!;
  assert.equal(parentOf(reserve)?.service, 'orders');
  assert.equal(parentOf(reserve)?.kind, 3);
  assert.equal(parentOf(server('payment-provider', /authorizations$/)!)?.service, 'payments');
  assert.equal(parentOf(server('orders', /POST \/api\/v1\/orders$/)!)?.service, 'gateway');
  // Events: a consumer's span hangs under the span that published the event, in the producer.
  const consumer = spans.find((x) => x.service === 'shipping' && x.kind === 5)!;
  assert.ok(consumer, 'a shipping consumer span');
  assert.notEqual(parentOf(consumer), undefined, `the parent of ${consumer.name}`);
  assert.notEqual(parentOf(consumer)!.service, 'shipping');

  const search = await s.api(`/api/v1/telemetry/traces?service=payment-provider&limit=500`, { token: admin });
  assert.ok(search.body.traces.some((t: { traceId: string }) => t.traceId === traceId));

  const logs = await waitFor(
    async () => {
      const res = await s.api(`/api/v1/telemetry/logs?traceId=${traceId}`, { token: admin });
      const lines = res.body.logs as { service: string; msg: string; traceId: string }[];
      return lines.some((l) => l.msg === 'order placed') && lines.some((l) => l.service === 'shipping') ? lines : undefined;
    },
    { timeoutMs: 30_000, what: `log lines of trace ${traceId}` },
  );
  assert.ok(logs.every((l) => l.traceId === traceId));
});

test('every instance’s /metrics is scraped; RED series come out of it; only admins read telemetry', async () => {
  const status = await waitFor(
    async () => {
      const res = await s.api('/api/v1/telemetry/status', { token: admin });
      const scrapes = res.body.scrapes as { instance: string; ok: boolean }[];
      return scrapes.length >= 15 && scrapes.every((x) => x.ok) ? scrapes : undefined;
    },
    { timeoutMs: 30_000, what: 'a good scrape of every instance' },
  );
  assert.ok(status.some((x) => x.instance === 'gateway-1'));
  for (let i = 0; i < 5; i++) await s.api('/api/v1/catalog/products?pageSize=1');
  await waitFor(
    async () => {
      const res = await s.api('/api/v1/telemetry/red?service=gateway&minutes=5&stepSeconds=300', { token: admin });
      return (res.body.series as { target: string }[]).some((x) => x.target.includes('/api/v1/catalog')) || undefined;
    },
    { timeoutMs: 30_000, what: 'RED series of the gateway’s catalog route' },
  );
  const shopper = await s.signUp('Curious');
  const refused = await s.api('/api/v1/telemetry/traces', { token: shopper.token });
  assert.equal(refused.status, 403);
});

/** Debian's promtool (package prometheus; .ci/run installs it), when this machine has it. */
const promtool = spawnSync('promtool', ['--version']).status === 0;

test('every instance’s /metrics passes promtool check metrics (and souk’s own exposition check)', async (t) => {
  if (!promtool) t.diagnostic('promtool not installed (apt package prometheus): only souk’s own exposition check runs');
  for (const instance of await devhost.instances()) {
    const res = await devhost.fetch(`${instance.adminUrl}/metrics`);
    assert.equal(res.status, 200, instance.instanceId);
    const text = await res.text();
    assert.deepEqual(checkExposition(text), [], `${instance.instanceId}: souk's exposition check`);
    if (!promtool) continue;
    const checked = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
    assert.equal(checked.status, 0, `${instance.instanceId}: promtool check metrics\n${checked.stdout}${checked.stderr}`);
  }
});

/** Follows the console's navigation link `name` (the pages hold other links of similar names). */
async function openSection(page: Page, name: string): Promise<void> {
  await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name, exact: true }).click();
}

async function signIn(page: Page, email: string, password: string): Promise<void> {
  await page.goto(`${devhost.gateway}/console/`);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

test('the admin finds a checkout’s trace, sees every service it crossed, and opens the logs of a span', async () => {
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
    await openSection(page, 'Traces');
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
    await openSection(page, 'Map');
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
    await openSection(page, 'Traces');
    await page.getByRole('alert').filter({ hasText: 'This console needs an admin account.' }).waitFor();
    await page.screenshot({ path: path.join(screenshots, 'customer-refused-phone.png'), fullPage: true });
  } finally {
    await page.close();
  }
});

/** Types `settings` into the config editor of `service`, reviews the diff and saves it; resolves once saved. */
async function saveSettings(page: Page, service: string, settings: unknown, reason: string): Promise<void> {
  await page.goto(`${devhost.gateway}/console/config/${service}`);
  await page.getByRole('heading', { name: `Config of ${service}` }).waitFor();
  await page.getByLabel('Settings (JSON)').fill(JSON.stringify(settings, null, 2));
  await page.getByLabel('Reason').fill(reason);
  await page.getByRole('button', { name: 'Review changes' }).click();
  await page.getByRole('region', { name: 'Changes' }).waitFor();
  await page.getByRole('button', { name: 'Save' }).click();
  await page
    .getByRole('status')
    .filter({ hasText: /^Saved version \d+/ })
    .waitFor();
}

test('the schemas page lists the events’ subjects and a subject’s JSON Schema; every new page fits a phone’s width', async () => {
  const page = await browser.newPage({ viewport: { width: 1366, height: 900 } });
  try {
    await signIn(page, 'admin@souk.local', adminPassword);
    await openSection(page, 'Schemas');
    await page.getByRole('table', { name: 'Subjects' }).getByRole('link', { name: 'souk.identity.UserRegistered' }).click();
    await page.getByRole('heading', { name: 'Subject souk.identity.UserRegistered' }).waitFor();
    await page.getByRole('region', { name: 'Schema', exact: true }).getByText('registeredAt').first().waitFor();
    await page.screenshot({ path: path.join(screenshots, 'schema-subject.png'), fullPage: true });

    // On a phone-sized screen every page fits its width: only the tables scroll sideways, inside their box.
    await page.setViewportSize({ width: 390, height: 844 });
    for (const [section, table] of [
      ['Instances', 'Instances'],
      ['Sagas', 'Sagas'],
      ['Events', 'Consumers'],
      ['Schemas', 'Subjects'],
      ['Config', 'Services'],
    ] as const) {
      await openSection(page, section);
      await page.getByRole('table', { name: table }).waitFor();
      // Evaluated in the page (its DOM), given as text: this file is typed without the DOM's names.
      const overflow = await page.evaluate<number>('document.documentElement.scrollWidth - window.innerWidth');
      assert.ok(overflow <= 0, `${section} is ${overflow} px wider than a phone's screen`);
    }
    await openSection(page, 'Instances');
    await page.getByRole('table', { name: 'Instances' }).waitFor();
    await page.screenshot({ path: path.join(screenshots, 'instances-phone.png'), fullPage: true });
  } finally {
    await page.close();
  }
});

test('a fault set in the config editor parks a real event; with it cleared, the admin redrives the dead letter', async () => {
  const page = await browser.newPage({ viewport: { width: 1366, height: 900 } });
  try {
    await signIn(page, 'admin@souk.local', adminPassword);
    await openSection(page, 'Config');
    await page.getByRole('table', { name: 'Services' }).waitFor();
    // Every handling of UserRegistered at notifications fails now: redelivered with backoff, then parked.
    await saveSettings(page, 'notifications', { faults: { events: ['souk.identity.UserRegistered'] } }, 'dead-letter drill');
    await page.screenshot({ path: path.join(screenshots, 'config-fault.png'), fullPage: true });
    const parkedUser = await s.signUp('Parked');

    await openSection(page, 'Events');
    const letter = page.getByRole('link', { name: /^Dead letter \d+ of notifications$/ }).first();
    await letter.waitFor({ timeout: 90_000 });
    await page.screenshot({ path: path.join(screenshots, 'events-dead-letter.png'), fullPage: true });

    // The cause fixed (the fault taken out), the letter is handed to its handler again.
    await saveSettings(page, 'notifications', {}, 'drill over');
    await openSection(page, 'Events');
    await letter.click();
    await page.getByRole('heading', { name: /^Dead letter \d+$/ }).waitFor();
    const event = page.getByRole('region', { name: 'CloudEvent' });
    await event.getByText('souk.identity.UserRegistered').first().waitFor();
    await event.getByText(parkedUser.email).first().waitFor();
    await page.getByRole('button', { name: 'Redrive' }).click();
    await page.getByRole('status').filter({ hasText: 'Redriven: handled' }).waitFor();
    // The letter, read again, says when it was redriven, and cannot be redriven twice.
    await page.getByRole('button', { name: 'Redrive', disabled: true }).waitFor();
    await page.screenshot({ path: path.join(screenshots, 'dead-letter-redriven.png'), fullPage: true });
  } finally {
    await page.close();
  }
});

test('killing payments from the instances page while checkouts run opens the breaker, fails the call on the map and compensates sagas', async () => {
  const product = (await s.api('/api/v1/catalog/products?pageSize=1')).body.items[0].id as string;
  const shoppers = await Promise.all(['Unlucky1', 'Unlucky2', 'Unlucky3'].map((name) => s.signUp(name)));
  for (const shopper of shoppers) assert.ok([200, 201].includes((await s.addToCart(shopper.token, product, 1)).status));
  const page = await browser.newPage({ viewport: { width: 1366, height: 900 } });
  try {
    await signIn(page, 'admin@souk.local', adminPassword);
    await openSection(page, 'Instances');
    await page.getByRole('button', { name: 'Kill payments-1' }).click();
    await page.getByRole('status').filter({ hasText: 'payments-1 killed' }).waitFor();

    // Checkouts while payments is down: each saga's payment step fails until its deadline, then compensates.
    const checkouts = Promise.all(
      shoppers.map((shopper) =>
        s.api('/api/v1/orders', {
          method: 'POST',
          token: shopper.token,
          headers: { 'idempotency-key': randomUUID(), prefer: 'wait=30' },
          body: '{}',
        }),
      ),
    );
    // orders' breaker for payments-1 opened: listed (with how often it opened) even after payments-1 left the registry.
    const breaker = page
      .getByRole('table', { name: 'Breakers' })
      .getByRole('row')
      .filter({ has: page.getByRole('cell', { name: 'orders-1', exact: true }) })
      .filter({ has: page.getByRole('cell', { name: /^payments-1( \(gone\))?$/ }) });
    await breaker.first().waitFor({ timeout: 90_000 });
    await page.screenshot({ path: path.join(screenshots, 'instances-payments-killed.png'), fullPage: true });

    // Telemetry's next scrape of orders counts the failed attempts on the orders→payments edge; then the map.
    await waitFor(
      async () => {
        const map = await s.api('/api/v1/telemetry/map?minutes=15', { token: admin });
        const edges = (map.body.edges ?? []) as { caller: string; callee: string; errors: number }[];
        return edges.some((e) => e.caller === 'orders' && e.callee === 'payments' && e.errors > 0);
      },
      { timeoutMs: 90_000, what: 'failed calls from orders to payments in the scraped metrics' },
    );
    await openSection(page, 'Map');
    await page
      .getByRole('table', { name: 'Calls' })
      .getByRole('row')
      .filter({ has: page.getByRole('cell', { name: 'orders', exact: true }) })
      .filter({ has: page.getByRole('cell', { name: 'payments', exact: true }) })
      .filter({ has: page.getByRole('cell', { name: 'failing', exact: true }) })
      .first()
      .waitFor({ timeout: 60_000 })
      .catch(async (err: unknown) => {
        await page.screenshot({ path: path.join(screenshots, 'map-failing-edge-missing.png'), fullPage: true });
        throw err;
      });
    await page.screenshot({ path: path.join(screenshots, 'map-failing-edge.png'), fullPage: true });

    // The sagas' payment step fails at its deadline and they compensate: the stock goes back at once, the
    // payment's void waits for payments (an authorization may have gone through before it died).
    await openSection(page, 'Sagas');
    const sagas = page.getByRole('table', { name: 'Sagas' });
    await sagas
      .getByRole('cell', { name: /^COMPENSAT(ING|ED)$/ })
      .first()
      .waitFor({ timeout: 90_000 });
    await page.screenshot({ path: path.join(screenshots, 'sagas-compensating.png'), fullPage: true });

    // Restarted from the page, payments is back, and the compensations finish.
    await openSection(page, 'Instances');
    await page.getByRole('button', { name: 'Restart payments-1' }).click();
    await page
      .getByRole('table', { name: 'Instances' })
      .getByRole('row')
      .filter({ hasText: 'payments-1' })
      .filter({ hasText: /ready · pid/ })
      .first()
      .waitFor({ timeout: 90_000 });
    await openSection(page, 'Sagas');
    await page.getByLabel('Status').selectOption('COMPENSATED');
    const compensated = sagas.getByRole('row').filter({ has: page.getByRole('cell', { name: 'COMPENSATED', exact: true }) });
    await compensated.first().waitFor({ timeout: 120_000 });
    await page.screenshot({ path: path.join(screenshots, 'sagas-compensated.png'), fullPage: true });
    await compensated.first().getByRole('link').click();
    await page.getByRole('heading', { name: /^Saga / }).waitFor();
    await page.getByRole('table', { name: 'Steps' }).getByRole('cell', { name: 'FAILED', exact: true }).first().waitFor();
    await page.screenshot({ path: path.join(screenshots, 'saga-compensated-steps.png'), fullPage: true });

    for (const answer of await checkouts) {
      assert.ok(answer.status < 500, JSON.stringify(answer.body));
      assert.notEqual(answer.body.status, 'CONFIRMED', 'no order is confirmed without its payment');
    }
  } finally {
    await page.close();
  }
});
