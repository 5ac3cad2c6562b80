// What telemetry costs the shop: the checkout benchmark twice in one run, on a devhost without the
// telemetry backend (`--no-telemetry`: no span export, no log shipping, no scraping) and on the default
// one (spans of one trace in ten exported by every service, every log line shipped by the devhost,
// every instance scraped every 5 s), side by side. The goal: within 10 % of it off.
// Run with `npm run bench:telemetry`; `npm run bench` runs it with the others.

import { isMain, runStandalone, type BenchResult } from '../report.ts';
import { positive } from '../settings.ts';
import { checkoutBench, type CheckoutSettings } from '../checkout/main.ts';

export interface TelemetrySettings extends CheckoutSettings {
  /**
   * Rounds of the pair, in ABBA order (off, on, then on, off...): one devhost after another on a shared
   * machine drifts (measured: the first of two identical runs 25 % slower), and alternating cancels it.
   */
  rounds: number;
}

export const telemetrySettings = (): TelemetrySettings => ({
  rounds: positive('BENCH_ROUNDS', 2),
  shoppers: positive('BENCH_SHOPPERS', 40),
  concurrency: positive('BENCH_CONCURRENCY', 20),
  checkouts: positive('BENCH_CHECKOUTS', 400),
  // Cart writes only warm the processes up here (the checkout bench's baseline is not compared).
  cartWrites: positive('BENCH_CART_WRITES', 1000),
  statements: false,
});

export const TELEMETRY_SMOKE: TelemetrySettings = {
  rounds: 1,
  shoppers: 2,
  concurrency: 2,
  checkouts: 4,
  cartWrites: 4,
  statements: false,
};

const CHECKOUT_ROW = 'checkout: order CONFIRMED end to end';
const COLUMNS = ['completed', 'failed', 'throughput', 'p50', 'p99', 'CPU per op'] as const;

/** The checkout row's figures of a checkout bench result, by column name. */
function checkoutFigures(result: BenchResult): Record<(typeof COLUMNS)[number], number> {
  const table = result.tables.find((t) => t.title === 'run');
  const row = table?.rows.find((r) => r.name === CHECKOUT_ROW);
  if (!table || !row) throw new Error('the checkout bench gave no checkout row');
  const value = (column: string) => {
    const v = row.values[table.columns.findIndex((c) => c.name === column)];
    if (typeof v !== 'number') throw new Error(`the checkout row has no ${column}`);
    return v;
  };
  return Object.fromEntries(COLUMNS.map((c) => [c, value(c)])) as Record<(typeof COLUMNS)[number], number>;
}

type Figures = Record<(typeof COLUMNS)[number], number>;

/** The mean of each figure over the rounds (completed and failed: the sums). */
function mean(runs: readonly Figures[]): Figures {
  const avg = (c: (typeof COLUMNS)[number]) =>
    runs.reduce((sum, r) => sum + r[c], 0) / (c === 'completed' || c === 'failed' ? 1 : runs.length);
  return Object.fromEntries(COLUMNS.map((c) => [c, avg(c)])) as Figures;
}

/**
 * `measuredOn`: a checkout bench with telemetry on (the default devhost) that this run already made with the
 * same settings, used as the one "on" side instead of another devhost (the smoke run: its checkout bench).
 */
export async function telemetryBench(
  settings: TelemetrySettings = telemetrySettings(),
  measuredOn?: BenchResult,
): Promise<BenchResult> {
  const started = performance.now();
  const offRuns: BenchResult[] = [];
  const onRuns: BenchResult[] = measuredOn ? [measuredOn] : [];
  for (let round = 0; round < settings.rounds; round++) {
    const order = round % 2 === 0 ? ['off', 'on'] : ['on', 'off'];
    for (const side of order) {
      if (side === 'off') offRuns.push(await checkoutBench(settings, ['--no-telemetry']));
      else if (!measuredOn) onRuns.push(await checkoutBench(settings, []));
    }
  }
  const off = offRuns.at(-1)!;
  const on = onRuns.at(-1)!;
  const [a, b] = [mean(offRuns.map(checkoutFigures)), mean(onRuns.map(checkoutFigures))];
  const change = (x: number, y: number) => (x === 0 ? 0 : ((y - x) / x) * 100);
  // Per process, the CPU of a checkout on each side (last round): where telemetry's cost lands.
  const perProcess = (result: BenchResult) =>
    new Map(
      (result.tables.find((t) => t.title.startsWith('where the CPU of a checkout goes'))?.rows ?? []).map((r) => [
        r.name,
        r.values[0] ?? null,
      ]),
    );
  const [offCpu, onCpu] = [perProcess(off), perProcess(on)];
  const processes = [...new Set([...offCpu.keys(), ...onCpu.keys()])];
  return {
    name: 'telemetry',
    title: 'checkouts with telemetry off and on (spans exported, logs shipped, metrics scraped), in one run',
    settings: {
      BENCH_ROUNDS: settings.rounds,
      BENCH_SHOPPERS: settings.shoppers,
      BENCH_CONCURRENCY: settings.concurrency,
      BENCH_CHECKOUTS: settings.checkouts,
      BENCH_CART_WRITES: settings.cartWrites,
    },
    seconds: (performance.now() - started) / 1000,
    tables: [
      {
        title: 'checkout with and without telemetry',
        columns: [
          { name: 'completed', unit: '' },
          { name: 'failed', unit: '' },
          { name: 'throughput', unit: 'ops/s' },
          { name: 'p50', unit: 'ms' },
          { name: 'p99', unit: 'ms' },
          { name: 'CPU per op', unit: 'ms' },
        ],
        rows: [
          { name: 'telemetry off (--no-telemetry)', values: COLUMNS.map((c) => a[c]) },
          { name: 'telemetry on (the default)', values: COLUMNS.map((c) => b[c]) },
        ],
      },
      {
        // A table of its own: its rows have no completed or failed count (the smoke run reads every `failed` column).
        title: 'telemetry on against off',
        columns: [
          { name: 'throughput', unit: '%' },
          { name: 'p50', unit: '%' },
          { name: 'p99', unit: '%' },
          { name: 'CPU per op', unit: '%' },
        ],
        rows: [
          {
            name: 'change',
            values: [
              change(a.throughput, b.throughput),
              change(a.p50, b.p50),
              change(a.p99, b.p99),
              change(a['CPU per op'], b['CPU per op']),
            ],
          },
        ],
      },
      {
        title: 'CPU per checkout by process, last round',
        columns: [
          { name: 'telemetry off', unit: 'ms' },
          { name: 'telemetry on', unit: 'ms' },
        ],
        rows: processes.map((name) => ({ name, values: [offCpu.get(name) ?? null, onCpu.get(name) ?? null] })),
      },
    ],
    notes: [
      ...[...offRuns, ...onRuns].flatMap((r) => r.notes).filter((n) => n.includes(' failed: ')),
      ...(measuredOn ? ['the "on" side is the checkout bench this run already made (telemetry on): one devhost less'] : []),
      `${settings.rounds} round(s) in ABBA order (off, on, on, off, …), each side a fresh devhost; figures are the means over the rounds (completed and failed: the sums)`,
      `goal: telemetry on within 10 % of it off (throughput and CPU per checkout); measured ${change(a.throughput, b.throughput).toFixed(1)} % throughput, ${change(a['CPU per op'], b['CPU per op']).toFixed(1)} % CPU per checkout`,
      'each side is a fresh devhost: the same warm-up (cart writes), then the checkouts; CPU per op counts every process, PostgreSQL, the devhost (the log shipper) and telemetry included',
      'sampling as the devhost sets it: one trace in ten (parent-based ratio), failures always',
    ],
  };
}

if (isMain(import.meta.url)) await runStandalone(() => telemetryBench());
