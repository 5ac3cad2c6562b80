// Telemetry in the running system (issue 13): one checkout, traced from the caller's sampled traceparent,
// is found at telemetry through the gateway as the admin, with spans from every service it crossed,
// parented across HTTP hops and event deliveries; every log line it caused is found by its trace id (the
// devhost ships every process's lines); every instance is scraped, and an admin-only API refuses a customer.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { checkExposition } from '../../platform/telemetry/src/scrape/prometheus-text.ts';
import { waitFor } from '@souk/chassis/testing';
import { startDevhost, type Devhost } from './devhost-harness.ts';
import { shop, type Shop } from './shop-client.ts';
import { tracedCheckout } from './traced-checkout.ts';

let devhost: Devhost;
let s: Shop;
let admin: string;

interface Span {
  spanId: string;
  parentSpanId: string | null;
  service: string;
  kind: number;
  name: string;
}

before(async () => {
  devhost = await startDevhost([]);
  s = shop(devhost.gateway);
  admin = await s.login('admin@souk.local', await devhost.secret('admin-password'));
});
after(async () => {
  await devhost?.stop();
});

test('a checkout’s trace holds every service it crossed, parented across HTTP and events, and its log lines', async () => {
  const product = (await s.api('/api/v1/catalog/products?pageSize=1')).body.items[0].id;
  assert.equal((await s.setStock(admin, product, 100)).status, 200);
  const { traceId } = await tracedCheckout(s, product);

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
