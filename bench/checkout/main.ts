// Checkout benchmark: completed checkouts per second and end-to-end latency
// (POST /api/v1/orders until the order is CONFIRMED: reservation, payment
// authorization, confirmation, through the gateway), on the real devhost.
// Beside it, in the same run, a baseline: adding an item to a cart (one
// gateway hop, one service, one database write), so the cost of the saga's
// four steps across three services reads against a single write.
// Run with `npm run bench:checkout`.

import { cpus, loadavg } from 'node:os';
import { startDevhost } from '../../tests/system/devhost-harness.ts';
import { shop, type Shopper } from '../../tests/system/shop-client.ts';
import { costBetween, costProbe, costTable, memoryTable, type CostReport } from '../cost.ts';
import { positive } from '../settings.ts';

const SHOPPERS = positive('BENCH_SHOPPERS', 40);
const CONCURRENCY = positive('BENCH_CONCURRENCY', 20);
const CHECKOUTS = positive('BENCH_CHECKOUTS', 400);

const log = (line: string) => process.stdout.write(`${line}\n`);

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

interface Row {
  name: string;
  cost: CostReport;
  done: number;
  failed: number;
  perSecond: number;
  p50: number;
  p99: number;
}

/** Runs `total` operations, `concurrency` at a time, timing each; `prepare` runs first, off the clock. */
async function run(
  name: string,
  total: number,
  concurrency: number,
  op: (i: number) => Promise<boolean>,
  prepare?: (i: number) => Promise<void>,
): Promise<Row> {
  const latencies: number[] = [];
  const before = await probe.snapshot();
  let next = 0;
  let failed = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < total) {
        const i = next++;
        await prepare?.(i);
        const t0 = performance.now();
        if (await op(i)) latencies.push(performance.now() - t0);
        else failed++;
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  const cost = costBetween(before, await probe.snapshot(), latencies.length);
  latencies.sort((a, b) => a - b);
  return {
    name,
    cost,
    done: latencies.length,
    failed,
    perSecond: latencies.length / seconds,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
  };
}

const devhost = await startDevhost();
const probe = await costProbe(devhost);
try {
  log(`# devhost ready in ${devhost.readySeconds.toFixed(1)} s; ${cpus().length} cores, load ${loadavg()[0]!.toFixed(2)}`);
  log(`\nIdle memory after start:\n\n${memoryTable(await probe.memory())}\n`);
  const s = shop(devhost.gateway);
  const admin = await s.login('admin@souk.local', await devhost.secret('admin-password'));
  const page = await s.api('/api/v1/catalog/products?pageSize=5');
  const productIds = (page.body.items as Array<{ id: string }>).map((p) => p.id);
  for (const id of productIds) await s.setStock(admin, id, 1_000_000);
  const shoppers: Shopper[] = [];
  for (let i = 0; i < SHOPPERS; i += 10)
    shoppers.push(...(await Promise.all(Array.from({ length: Math.min(10, SHOPPERS - i) }, () => s.signUp('Bench')))));
  log(`# ${SHOPPERS} shoppers, ${CONCURRENCY} at a time, ${CHECKOUTS} checkouts`);

  const shopperFor = (i: number) => shoppers[i % shoppers.length]!;
  const productFor = (i: number) => productIds[i % productIds.length]!;
  // Warm-up: JIT, connection pools, service tokens.
  await run('warm-up', 20, 5, async (i) => (await s.addToCart(shopperFor(i).token, productFor(i), 1)).status < 300);

  const baseline = await run(
    'baseline: add to cart (1 service, 1 write)',
    CHECKOUTS,
    CONCURRENCY,
    async (i) => (await s.addToCart(shopperFor(i).token, productFor(i), 1)).status < 300,
  );

  for (const sh of shoppers) await s.api('/api/v1/cart', { method: 'DELETE', token: sh.token });
  // Each checkout orders what its shopper's cart holds; one unit goes in first, off the clock.
  const checkout = await run(
    'checkout: order CONFIRMED end to end',
    CHECKOUTS,
    CONCURRENCY,
    async (i) => {
      const placed = await s.checkout(shopperFor(i).token, { waitSeconds: 30 });
      return placed.body?.status === 'CONFIRMED';
    },
    async (i) => void (await s.addToCart(shopperFor(i).token, productFor(i), 1)),
  );

  log('');
  log('| run | completed | failed | per second | p50 ms | p99 ms | CPU ms per op | commits per op |');
  log('|---|---:|---:|---:|---:|---:|---:|---:|');
  for (const r of [baseline, checkout]) {
    log(
      `| ${r.name} | ${r.done} | ${r.failed} | ${r.perSecond.toFixed(1)} | ${r.p50.toFixed(1)} | ${r.p99.toFixed(1)} | ` +
        `${r.cost.totalCpuPerOp.toFixed(1)} | ${r.cost.commitsPerOp.toFixed(1)} |`,
    );
  }
  log(`\ncheckout costs ${(checkout.p50 / baseline.p50).toFixed(1)}x a single write at p50`);
  log(`\n${costTable('Where the CPU of a checkout goes', checkout.cost)}`);
  log(`\n${costTable('Where the CPU of a cart write goes', baseline.cost)}`);
} finally {
  await probe.close();
  await devhost.stop();
}
