// Secrets on the running devhost (issue 11, deliverable 7), checked last in the security suite: no instance
// has a secret in its environment (/proc/<pid>/environ, readable by every process of the same user), none
// keeps a secrets directory once it has started, and after every attack of the suite, sign-ins and checkouts,
// no secret of the data folder, nor an access token, is in the devhost's output, the instances' logs or the
// exported traces.

import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { waitFor } from '@souk/chassis/testing';
import type { Devhost, DevhostInstance } from '../system/devhost-harness.ts';
import { SHELL_SECRET, type SecurityRun } from './run.ts';
import { shop, type Shop } from '../system/shop-client.ts';

/** Secret value → where it came from, so a failure names the secret without printing it. */
const sourceOf = new Map<string, string>([[SHELL_SECRET, 'the shell token']]);

export function secretLeaks(run: SecurityRun): void {
  let devhost: Devhost;
  let s: Shop;
  let adminToken = '';
  const traceBodies = run.traceBodies;
  before(() => {
    devhost = run.devhost;
    s = shop(devhost.gateway);
  });

  /** Every secret value in the data folder: each file's content, and each client secret of clients.json. */
  async function secretValues(): Promise<string[]> {
    const dir = join(devhost.dataDir, 'secrets');
    const values: string[] = [SHELL_SECRET];
    for (const name of await readdir(dir)) {
      const text = (await readFile(join(dir, name), 'utf8')).trim();
      if (name === 'clients.json') {
        for (const c of JSON.parse(text) as { clientId: string; clientSecret: string }[]) {
          values.push(c.clientSecret);
          sourceOf.set(c.clientSecret, `client secret of ${c.clientId}`);
        }
      } else {
        values.push(text);
        sourceOf.set(text, `secrets/${name}`);
      }
    }
    assert.ok(values.length >= 20, `found ${values.length} secrets`);
    assert.ok(values.every((v) => v.length >= 16));
    return values;
  }

  function leaks(text: string, secrets: readonly string[]): string[] {
    return secrets.filter((secret) => text.includes(secret)).map((secret) => sourceOf.get(secret) ?? 'an access token');
  }

  async function environOf(instance: DevhostInstance): Promise<string> {
    return (await readFile(`/proc/${instance.pid}/environ`, 'utf8')).replaceAll('\0', '\n');
  }

  test('no instance has a secret in its environment or command line', async () => {
    const secrets = await secretValues();
    const instances = await devhost.instances();
    assert.ok(instances.length >= 14);
    for (const instance of instances) {
      const environ = await environOf(instance);
      assert.deepEqual(leaks(environ, secrets), [], `${instance.instanceId}'s environment`);
      assert.deepEqual(leaks(await readFile(`/proc/${instance.pid}/cmdline`, 'utf8'), secrets), [], instance.instanceId);
      // Nothing points at the shared secrets directory; the database URL names no password.
      assert.ok(
        !environ.includes(join(devhost.dataDir, 'secrets')),
        `${instance.instanceId} is told where the shared secrets are`,
      );
      const databaseUrl = /^DATABASE_URL=(.*)$/m.exec(environ)?.[1];
      if (databaseUrl) assert.equal(new URL(databaseUrl).password, '', instance.instanceId);
      assert.match(environ, new RegExp(`^SECRETS_DIR=${join(devhost.dataDir, 'run', instance.instanceId)}$`, 'm'));
    }
  });

  test('once ready, no instance keeps a secrets directory; a restarted one reads its own again and drops it', async () => {
    const run = join(devhost.dataDir, 'run');
    const left = await readdir(run).catch(() => []);
    assert.deepEqual(left, [], 'secrets directories of ready instances');
    // Kill orders-1: it can only start again if the devhost wrote its secrets anew, and must not keep them.
    const orders = (await devhost.instances()).find((i) => i.instanceId === 'orders-1')!;
    process.kill(orders.pid, 'SIGKILL');
    const again = await waitFor(
      async () => {
        const i = (await devhost.instances()).find((x) => x.instanceId === 'orders-1');
        return i && i.restarts >= 1 && i.state === 'ready' ? i : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 200, what: 'orders-1 to restart' },
    );
    assert.notEqual(again.pid, orders.pid);
    assert.deepEqual(await readdir(run).catch(() => []), []);
    assert.deepEqual(leaks(await environOf(again), await secretValues()), []);
  });

  test('after sign-ins and a checkout, no log line and no exported span holds a secret or an access token', async () => {
    const adminPassword = await devhost.secret('admin-password');
    adminToken = await s.login('admin@souk.local', adminPassword);
    await assert.rejects(s.login('admin@souk.local', `${adminPassword}-wrong`), /401|400/);
    const shopper = await s.signUp('Secretive');
    const products = (await s.api('/api/v1/catalog/products?pageSize=1')).body.items as { id: string }[];
    const added = await s.addToCart(shopper.token, products[0]!.id, 1);
    assert.ok(added.status === 200 || added.status === 201, JSON.stringify(added.body));
    const order = await s.checkout(shopper.token, { waitSeconds: 20 });
    assert.ok(order.status === 201 || order.status === 202, JSON.stringify(order.body));
    const id = (order.body as { id: string }).id;
    await waitFor(async () => ((await s.order(shopper.token, id)).body as { status: string }).status === 'CONFIRMED', {
      timeoutMs: 30_000,
      intervalMs: 200,
      what: 'the order to be confirmed',
    });
    // Spans are exported in batches: wait until the checkout's have arrived (orders' own spans name its routes).
    await waitFor(() => traceBodies.some((b) => b.includes('/api/v1/orders')), {
      timeoutMs: 30_000,
      intervalMs: 200,
      what: "the checkout's spans to be exported",
    });

    const secrets = [...(await secretValues()), adminToken, shopper.token];
    assert.deepEqual(leaks(await devhost.output(), secrets), [], "the devhost's output");
    const logs = join(devhost.dataDir, 'logs');
    const files = await readdir(logs);
    assert.ok(files.includes('orders-1.log') && files.includes('identity-1.log'), files.join(', '));
    for (const file of files) {
      const text = await readFile(join(logs, file), 'utf8');
      assert.deepEqual(leaks(text, secrets), [], file);
      // Every connection a service opens beside its pool (LISTEN for wake-ups) gets the password from the secret
      // too: without it wake-ups stop and events crawl at the polling pace.
      assert.doesNotMatch(text, /SASL|password authentication failed|notifications unavailable/, file);
    }
    assert.ok(traceBodies.length > 0);
    assert.deepEqual(leaks(Buffer.concat(traceBodies).toString('latin1'), secrets), [], 'exported spans');
  });
}
