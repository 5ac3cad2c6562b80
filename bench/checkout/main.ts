// Checkout benchmark: completed checkouts per second and end-to-end latency
// (POST /api/v1/orders until the order is CONFIRMED: reservation, payment
// authorization, confirmation, through the gateway), on the real devhost.
// Beside it, in the same run, a baseline: adding an item to a cart (one
// gateway hop, one service, one database write), so the cost of the saga's
// four steps across three services reads against a single write. Both with
// the CPU ms per operation of every process (bench/cost.ts) and the commits
// per operation, and the idle memory of every process after start.
// Run with `npm run bench:checkout`; `npm run bench` runs it with the others.

import { Pool } from 'undici';
import { startDevhost } from '../../tests/system/devhost-harness.ts';
import { costBetween, costTable, devhostCostProbe, memoryTable, type CostProbe, type CostReport } from '../cost.ts';
import { isMain, log, percentile, runStandalone, type BenchResult } from '../report.ts';
import { positive } from '../settings.ts';
import { BENCH_IDENTITY_ENV, prepareShop } from './shop-setup.ts';

export interface CheckoutSettings {
  shoppers: number;
  concurrency: number;
  checkouts: number;
  /** Cart writes measured (after as many again, at most 1,000, to warm up). */
  cartWrites: number;
  /** Count statements per operation: the devhost's PostgreSQL runs with pg_stat_statements loaded. */
  statements: boolean;
}

export const checkoutSettings = (): CheckoutSettings => ({
  shoppers: positive('BENCH_SHOPPERS', 40),
  concurrency: positive('BENCH_CONCURRENCY', 20),
  checkouts: positive('BENCH_CHECKOUTS', 400),
  cartWrites: positive('BENCH_CART_WRITES', 3000),
  statements: process.env.BENCH_STATEMENTS !== '0',
});

export const CHECKOUT_SMOKE: CheckoutSettings = { shoppers: 2, concurrency: 2, checkouts: 4, cartWrites: 4, statements: true };

interface Row {
  name: string;
  cost: CostReport;
  done: number;
  failed: number;
  /** Why the first few failed operations failed (status and body), for the notes. */
  failures: string[];
  perSecond: number;
  p50: number;
  p99: number;
  /** CPU ms of the bench process itself (the load generator, on the same cores) per operation. */
  clientCpuPerOp: number;
}

/**
 * Adds to carts through the gateway over kept-alive connections with undici's `request`. The load
 * generator shares the two cores with what it measures: `fetch` (the shop client's) cost it ~1 ms of
 * CPU per write, as much as the gateway and cart together, and capped the rate it could offer.
 */
function cartWriter(gateway: string, connections: number) {
  const pool = new Pool(gateway, { connections, pipelining: 1 });
  return {
    /** Undefined when the write succeeded, else why not. */
    async add(token: string, productId: string, quantity: number): Promise<string | undefined> {
      const { statusCode, body } = await pool.request({
        method: 'POST',
        path: '/api/v1/cart/items',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ productId, quantity }),
      });
      if (statusCode === 200) {
        await body.dump();
        return undefined;
      }
      return `cart write: ${statusCode} ${(await body.text()).slice(0, 300)}`;
    },
    close: () => pool.close(),
  };
}

/**
 * Runs `total` operations, `concurrency` at a time, timing each; `prepare` runs first, off the clock.
 * An operation answers undefined when it succeeded, else why it failed.
 */
async function run(
  probe: CostProbe,
  name: string,
  total: number,
  concurrency: number,
  op: (i: number) => Promise<string | undefined>,
  prepare?: (i: number) => Promise<string | undefined>,
): Promise<Row> {
  const latencies: number[] = [];
  const before = await probe.snapshot();
  const clientBefore = process.cpuUsage();
  let next = 0;
  let failed = 0;
  const failures: string[] = [];
  const fail = (why: string) => {
    failed++;
    if (failures.length < 3) failures.push(why);
  };
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < total) {
        const i = next++;
        const unprepared = await prepare?.(i);
        if (unprepared) {
          fail(`before the operation: ${unprepared}`);
          continue;
        }
        const t0 = performance.now();
        const why = await op(i).catch((err: unknown) => (err instanceof Error ? err.message : String(err)));
        if (why === undefined) latencies.push(performance.now() - t0);
        else fail(why);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  const client = process.cpuUsage(clientBefore);
  const cost = costBetween(before, await probe.snapshot(), latencies.length);
  latencies.sort((a, b) => a - b);
  return {
    name,
    cost,
    done: latencies.length,
    failed,
    failures,
    perSecond: latencies.length / seconds,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    clientCpuPerOp: (client.user + client.system) / 1000 / Math.max(1, latencies.length),
  };
}

/** `devhostArgs`: flags for `npm start` (bench/telemetry runs it with and without `--no-telemetry`). */
export async function checkoutBench(
  settings: CheckoutSettings = checkoutSettings(),
  devhostArgs: string[] = [],
): Promise<BenchResult> {
  const started = performance.now();
  const { shoppers: SHOPPERS, concurrency: CONCURRENCY, checkouts: CHECKOUTS, cartWrites: CART_WRITES } = settings;
  const devhost = await startDevhost(devhostArgs, {
    ...BENCH_IDENTITY_ENV,
    ...(settings.statements ? { SOUK_PG_STAT_STATEMENTS: '1' } : {}),
  });
  try {
    const probe = await devhostCostProbe(devhost, { statements: settings.statements });
    try {
      log(`checkout: devhost ready in ${devhost.readySeconds.toFixed(1)} s`);
      const memory = memoryTable(await probe.memory());
      const { s, productIds, shoppers } = await prepareShop(devhost, SHOPPERS);
      log(`checkout: ${SHOPPERS} shoppers, ${CONCURRENCY} at a time, ${CHECKOUTS} checkouts`);

      const shopperFor = (i: number) => shoppers[i % shoppers.length]!;
      // Every product in turn for each shopper (not i % 5, which gives a shopper one product only), so a
      // line stays far below the 99 units a cart takes even over thousands of writes.
      const productFor = (i: number) => productIds[Math.floor(i / shoppers.length) % productIds.length]!;
      const carts = cartWriter(devhost.gateway, CONCURRENCY);
      let baseline: Row;
      try {
        // Warm-up: JIT (a few hundred requests per process before the hot paths are compiled), connection
        // pools, service tokens. With 20 writes, the measured phase ran half-cold: 1.4 ms more CPU per write.
        const warmUp = Math.min(CART_WRITES, 1000);
        log(`checkout: warm-up, ${warmUp} cart writes`);
        await run(probe, 'warm-up', warmUp, CONCURRENCY, (i) => carts.add(shopperFor(i).token, productFor(i), 1));
        for (const sh of shoppers) await s.api('/api/v1/cart', { method: 'DELETE', token: sh.token });
        log(`checkout: baseline, ${CART_WRITES} cart writes`);
        baseline = await run(probe, 'baseline: add to cart (1 service, 1 write)', CART_WRITES, CONCURRENCY, (i) =>
          carts.add(shopperFor(i).token, productFor(i), 1),
        );
      } finally {
        await carts.close();
      }

      for (const sh of shoppers) await s.api('/api/v1/cart', { method: 'DELETE', token: sh.token });
      log('checkout: checkouts');
      // Each checkout orders what its shopper's cart holds; one unit goes in first, off the clock.
      const checkout = await run(
        probe,
        'checkout: order CONFIRMED end to end',
        CHECKOUTS,
        CONCURRENCY,
        async (i) => {
          const placed = await s.checkout(shopperFor(i).token, { waitSeconds: 30 });
          if (placed.body?.status === 'CONFIRMED') return undefined;
          return `checkout: ${placed.status} ${JSON.stringify(placed.body).slice(0, 300)}`;
        },
        async (i) => {
          const added = await s.addToCart(shopperFor(i).token, productFor(i), 1);
          return added.status === 200 ? undefined : `cart write: ${added.status} ${JSON.stringify(added.body).slice(0, 300)}`;
        },
      );

      // Statements only where pg_stat_statements is loaded (embedded PostgreSQL) and kept every entry.
      const statements = checkout.cost.statementsPerOp !== undefined || baseline.cost.statementsPerOp !== undefined;
      return {
        name: 'checkout',
        title: 'checkouts CONFIRMED end to end on the devhost, beside cart writes',
        settings: {
          BENCH_SHOPPERS: SHOPPERS,
          BENCH_CONCURRENCY: CONCURRENCY,
          BENCH_CHECKOUTS: CHECKOUTS,
          BENCH_CART_WRITES: CART_WRITES,
          BENCH_STATEMENTS: settings.statements ? 1 : 0,
        },
        seconds: (performance.now() - started) / 1000,
        tables: [
          {
            title: 'run',
            columns: [
              { name: 'completed', unit: '' },
              { name: 'failed', unit: '' },
              { name: 'throughput', unit: 'ops/s' },
              { name: 'p50', unit: 'ms' },
              { name: 'p99', unit: 'ms' },
              { name: 'CPU per op', unit: 'ms' },
              { name: 'load generator CPU per op', unit: 'ms' },
              { name: 'commits per op', unit: '' },
              ...(statements ? [{ name: 'statements per op', unit: '' }] : []),
            ],
            rows: [baseline, checkout].map((r) => ({
              name: r.name,
              values: [
                r.done,
                r.failed,
                r.perSecond,
                r.p50,
                r.p99,
                r.cost.totalCpuPerOp,
                r.clientCpuPerOp,
                r.cost.commitsPerOp,
                ...(statements ? [r.cost.statementsPerOp ?? null] : []),
              ],
            })),
          },
          costTable('where the CPU of a checkout goes', checkout.cost),
          costTable('where the CPU of a cart write goes', baseline.cost),
          memory,
        ],
        notes: [
          ...[baseline, checkout].flatMap((r) => r.failures.map((why) => `${r.name} failed: ${why}`)),
          `devhost ready in ${devhost.readySeconds.toFixed(1)} s`,
          `a checkout takes ${(checkout.p50 / baseline.p50).toFixed(1)}x a cart write at p50 and costs ` +
            `${(checkout.cost.totalCpuPerOp / baseline.cost.totalCpuPerOp).toFixed(1)}x its CPU`,
          "a checkout's CPU and commits include the one cart write that precedes it (off the latency clock, inside the measured phase)",
          settings.statements
            ? 'statements: pg_stat_statements (loaded for this run, BENCH_STATEMENTS=0 to leave it out), top-level statements of the services, BEGIN and COMMIT included'
            : 'statements not counted (BENCH_STATEMENTS=0)',
          'CPU per op: OS CPU time (utime + stime) of every process, PostgreSQL included, over the phase, divided by the operations completed; commits: pg_stat_database of the devhost databases',
          'load generator CPU per op: the bench process itself (process.cpuUsage), on the same cores, not in CPU per op; cart writes go through undici.request on kept-alive connections, checkouts through fetch',
        ],
      };
    } finally {
      await probe.close();
    }
  } finally {
    await devhost.stop();
  }
}

if (isMain(import.meta.url)) await runStandalone(() => checkoutBench());
