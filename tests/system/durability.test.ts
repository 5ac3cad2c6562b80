// Nothing acknowledged is lost when the database dies (issue 10): PostgreSQL's
// postmaster is killed with SIGKILL in the middle of a burst of checkouts, the
// devhost starts it again (crash recovery replays the WAL), and then every
// order the API accepted exists and ends final, every CONFIRMED order has
// exactly one capture at the provider, and inventory committed exactly the
// units of the confirmed orders. What may be lost is only what was never
// acknowledged: bookkeeping committed with synchronous_commit off (cursors,
// leases, saga progress) is redone, not trusted.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { waitFor } from '@souk/chassis/testing';
import { startDevhost, type Devhost } from './devhost-harness.ts';
import { json, shop, type Shop, type Shopper } from './shop-client.ts';

const SHOPPERS = 30;
const STOCK = 1_000;
/** Accepted checkouts to wait for before the kill: the burst is well under way, with sagas in every state. */
const KILL_AFTER = 8;

let devhost: Devhost;
let s: Shop;
let admin: string;
let product: string;
let provider: string;
let merchantKey: string;

before(async () => {
  // Without telemetry (--no-telemetry): nothing here reads it, and on two cores its scrapes and exports
  // would take CPU from what is tested; telemetry.test.ts and the newcomer's walking skeleton run with it.
  devhost = await startDevhost(['--no-telemetry']);
  s = shop(devhost.gateway);
  admin = await s.login('admin@souk.local', await devhost.secret('admin-password'));
  const page = await s.api('/api/v1/catalog/products?pageSize=20');
  product = (page.body.items as Array<{ id: string }>)[3]!.id;
  const endpoints = JSON.parse(await readFile(join(devhost.dataDir, 'endpoints.json'), 'utf8')) as {
    services: Record<string, string[]>;
  };
  provider = endpoints.services['payment-provider']![0]!;
  merchantKey = await devhost.secret('payment-provider-api-key');
});
after(async () => {
  await devhost?.stop();
});

/** A request that may meet the outage: a thrown fetch (connection reset) reads as status 0. */
async function attempt<T>(call: () => Promise<{ status: number; body: T }>): Promise<{ status: number; body: T | undefined }> {
  try {
    return await call();
  } catch {
    return { status: 0, body: undefined };
  }
}

/** 201/202 for a new order, 200 when the Idempotency-Key names one that exists (a retry of a request that did commit). */
const accepted = (status: number) => status === 200 || status === 201 || status === 202;

describe('durability: SIGKILL of PostgreSQL during a checkout burst', () => {
  test('every accepted order exists and ends final; every CONFIRMED one captured once, its stock committed', async (t) => {
    const pidFile = join(devhost.dataDir, 'postgres', 'postmaster.pid');
    if (!existsSync(pidFile)) {
      t.skip('the devhost runs on an external PostgreSQL (DATABASE_URL) here, not the embedded one it can restart');
      return;
    }
    assert.equal((await s.setStock(admin, product, STOCK)).status, 200);
    const shoppers: Shopper[] = [];
    for (let i = 0; i < SHOPPERS; i += 5) {
      shoppers.push(...(await Promise.all(Array.from({ length: 5 }, () => s.signUp('Dur')))));
    }
    for (const sh of shoppers) assert.equal((await s.addToCart(sh.token, product, 1)).status, 200);

    // The burst: every shopper checks out once, with its own Idempotency-Key, 6 at a time.
    const keys = shoppers.map(() => randomUUID());
    const answers = new Map<number, { status: number; id?: string }>();
    let killedPid: number | undefined;
    let killClaimed = false;
    let next = 0;
    await Promise.all(
      Array.from({ length: 6 }, async () => {
        while (next < shoppers.length) {
          const i = next++;
          const res = await attempt(() => s.checkout(shoppers[i]!.token, { key: keys[i]! }));
          answers.set(i, { status: res.status, id: (res.body as { id?: string } | undefined)?.id });
          const acceptedSoFar = [...answers.values()].filter((a) => accepted(a.status)).length;
          // Claimed before the await: two workers past the mark at once must not both kill (the second found no process).
          if (!killClaimed && acceptedSoFar >= KILL_AFTER) {
            killClaimed = true;
            killedPid = Number((await readFile(pidFile, 'utf8')).split('\n')[0]);
            process.kill(killedPid, 'SIGKILL');
          }
        }
      }),
    );
    assert.ok(killedPid, 'PostgreSQL was killed during the burst');
    const statuses = [...answers.values()].map((a) => a.status);
    t.diagnostic(
      `answers in the burst: ${statuses.filter(accepted).length} accepted, others ${statuses.filter((x) => !accepted(x)).join(' ')}`,
    );
    // The outage is the server's, not a bug: retryable 503s (or a dropped connection), never a 500.
    assert.ok(!statuses.includes(500), `no 500 during the outage: ${statuses.join(' ')}`);

    // The devhost notices and starts PostgreSQL again.
    await waitFor(
      async () => {
        if (!/PostgreSQL restarted on/.test(await devhost.output())) throw new Error('not restarted yet');
        return true;
      },
      { timeoutMs: 60_000, what: 'the devhost to restart PostgreSQL' },
    );

    // What was not acknowledged is retried with the same key, as a client does; acknowledged ones keep theirs.
    for (const [i, a] of answers) {
      if (accepted(a.status)) continue;
      const again = await waitFor(
        async () => {
          const res = await attempt(() => s.checkout(shoppers[i]!.token, { key: keys[i]! }));
          if (!accepted(res.status)) throw new Error(`checkout retry: ${res.status} ${JSON.stringify(res.body)}`);
          return res;
        },
        { timeoutMs: 60_000, intervalMs: 500, what: `shopper ${i}'s retried checkout to be accepted` },
      );
      answers.set(i, { status: again.status, id: (again.body as { id: string }).id });
    }

    const final = await Promise.all(
      [...answers].map(([i, a]) =>
        waitFor(
          async () => {
            const res = await attempt(() => s.order(shoppers[i]!.token, a.id!));
            if (res.status !== 200) throw new Error(`order ${a.id}: ${res.status}`);
            const order = res.body as { id: string; status: string; totalCents: number; paymentId?: string };
            if (order.status !== 'CONFIRMED' && order.status !== 'CANCELLED') throw new Error(`order ${a.id} is ${order.status}`);
            return order;
          },
          { timeoutMs: 120_000, intervalMs: 250, what: `order ${a.id} to exist and be final` },
        ),
      ),
    );
    assert.equal(final.length, SHOPPERS);
    const confirmed = final.filter((o) => o.status === 'CONFIRMED');
    // Stock was plentiful and the card good: a crash must not turn a sale into a cancellation it had no reason for.
    assert.equal(confirmed.length, SHOPPERS, JSON.stringify(final.filter((o) => o.status !== 'CONFIRMED')));

    for (const order of confirmed) {
      const charges = await waitFor(
        async () => {
          // Straight to the provider stand-in: with the devhost's client certificate (instances take mTLS callers only).
          const res = await json<{ captures: Array<{ amount: number }> }>(`${provider}/v1/charges?reference=${order.paymentId}`, {
            token: merchantKey,
            fetch: devhost.fetch,
          });
          if (res.status !== 200 || res.body.captures.length === 0) throw new Error(`not captured yet: ${res.status}`);
          return res.body;
        },
        { timeoutMs: 60_000, what: `the capture of order ${order.id}` },
      );
      assert.equal(charges.captures.length, 1, `order ${order.id}: exactly one capture`);
      assert.equal(charges.captures[0]!.amount, order.totalCents);
    }

    const level = await waitFor(
      async () => {
        const l = (await s.stockOf(product)).body as { onHand: number; reserved: number };
        if (l.reserved !== 0 || l.onHand !== STOCK - confirmed.length) throw new Error(`level ${JSON.stringify(l)}`);
        return l;
      },
      { timeoutMs: 60_000, what: 'inventory to commit the confirmed units, each once' },
    );
    assert.equal(level.onHand, STOCK - confirmed.length);
  });
});
