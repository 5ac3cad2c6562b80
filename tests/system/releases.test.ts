// Canary releases in the running system (issue 12). `--canary orders` runs a second orders process as
// release "canary". The faults setting breaks it (three in ten of its API requests fail) and the gateway
// gives it half the shoppers under an analysis: the gateway rolls it back by itself, says why in the
// config server's audit, and every checkout meanwhile is confirmed (a failed canary attempt is retried on
// the stable orders). Fixed, the canary passes its windows and is promoted to the active release.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { waitFor } from '@souk/chassis/testing';
import { startDevhost, type Devhost } from './devhost-harness.ts';
import { ONE_ADDRESS_IDENTITY_ENV, shop, type Shop, type Shopper } from './shop-client.ts';

let devhost: Devhost;
let s: Shop;
let admin: string;
let product: string;
const shoppers: Shopper[] = [];

before(async () => {
  // Without telemetry (--no-telemetry): nothing here reads it, and on two cores its scrapes and exports
  // would take CPU from what is tested; telemetry.test.ts and the newcomer's walking skeleton run with it.
  devhost = await startDevhost(['--canary', 'orders', '--no-telemetry'], ONE_ADDRESS_IDENTITY_ENV);
  s = shop(devhost.gateway);
  admin = await s.login('admin@souk.local', await devhost.secret('admin-password'));
  product = (await s.api('/api/v1/catalog/products?pageSize=1')).body.items[0].id;
  assert.equal((await s.setStock(admin, product, 1000)).status, 200);
  for (let i = 0; i < 12; i++) shoppers.push(await s.signUp('Canary'));
});
after(async () => {
  await devhost?.stop();
});

const configPath = (service: string) => `/api/v1/config/services/${service}`;

async function setSettings(service: string, settings: unknown, reason: string): Promise<number> {
  const res = await s.api(configPath(service), { method: 'PUT', token: admin, body: JSON.stringify({ settings, reason }) });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return res.body.version;
}

async function gatewayVersions(): Promise<Array<{ version: number; author: string; reason: string; settings: any }>> {
  const res = await s.api(`${configPath('gateway')}/history`, { token: admin });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return res.body.versions;
}

/** Every shopper checks out one unit, waits for the order to be final and reads it: each must be CONFIRMED. */
async function everyoneChecksOut(): Promise<void> {
  await Promise.all(
    shoppers.map(async (shopper) => {
      const added = await s.addToCart(shopper.token, product, 1);
      assert.ok(added.status === 200 || added.status === 201, JSON.stringify(added.body));
      const placed = await s.checkout(shopper.token, { waitSeconds: 20 });
      assert.ok(placed.status === 201 || placed.status === 202, JSON.stringify(placed.body));
      const order = await waitFor(
        async () => {
          const res = await s.order(shopper.token, placed.body.id);
          assert.equal(res.status, 200, JSON.stringify(res.body));
          return res.body.status === 'CONFIRMED' || res.body.status === 'CANCELLED' ? res.body : undefined;
        },
        { timeoutMs: 30_000, what: `order ${placed.body.id} final` },
      );
      assert.equal(order.status, 'CONFIRMED', JSON.stringify(order));
    }),
  );
}

test('a canary failing 30 % is rolled back by the gateway while every checkout is confirmed', async () => {
  await setSettings('orders', { faults: { errorRate: 0.3, releases: ['canary'] } }, 'a broken orders build, on purpose');
  const since = await setSettings(
    'gateway',
    { releases: { orders: { canary: { weight: 50, analysis: { windowSeconds: 120, minRequests: 10 } } } } },
    'orders canary at 50%',
  );
  let rounds = 0;
  const rolledBack = await waitFor(
    async () => {
      rounds++;
      await everyoneChecksOut();
      return (await gatewayVersions()).find((v) => v.version > since && v.author === 'svc-gateway');
    },
    { timeoutMs: 240_000, intervalMs: 0, what: 'the gateway rolling the canary back' },
  );
  assert.match(rolledBack.reason, /orders canary rolled back \(weight 50 → 0\): error rate/);
  assert.equal(rolledBack.settings.releases.orders.canary.weight, 0);
  process.stdout.write(`# rolled back after ${rounds} round(s) of ${shoppers.length} checkouts: ${rolledBack.reason}\n`);
  // The canary takes no one now: checkouts go on, all confirmed.
  await everyoneChecksOut();
});

test('a healthy canary passes its windows and is promoted to the active release', async () => {
  await setSettings('orders', {}, 'the fixed build');
  const since = await setSettings(
    'gateway',
    { releases: { orders: { canary: { weight: 50, analysis: { windowSeconds: 5, minRequests: 5, stepWeight: 50 } } } } },
    'the fixed orders canary at 50%, promoted after a healthy window',
  );
  const promoted = await waitFor(
    async () => {
      await everyoneChecksOut();
      return (await gatewayVersions()).find((v) => v.version > since && v.author === 'svc-gateway');
    },
    { timeoutMs: 240_000, intervalMs: 0, what: 'the gateway promoting the canary' },
  );
  assert.match(promoted.reason, /orders canary promoted/);
  assert.deepEqual(promoted.settings.releases.orders, { active: 'canary' });
  await everyoneChecksOut();
});
