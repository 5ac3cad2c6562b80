// `npm run bench`: every benchmark in one go (gateway, events on both
// transports, checkout, event store, telemetry's cost, the console's queries over a day of data), each beside the baseline it measures in
// the same run, then bench/results/latest.json (machine, settings, every
// figure with its unit) and bench/results/latest.md (the same as tables).
//
//   npm run bench                          the full run (several minutes)
//   npm run bench -- --smoke               tiny counts, seconds per benchmark: checks that they run (all but
//                                          telemetry's, whose sides are the checkout bench's: --only telemetry)
//   npm run bench -- --only events,gateway some of them
//   npm run bench -- --out <dir>           write the results elsewhere
//
// BENCH_* settings (see each benchmark) apply to the full run; --smoke uses its own.
// Exits non-zero when a benchmark throws, a figure is not a finite number or
// (smoke) an operation failed; never because of a timing.

import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { CHECKOUT_SMOKE, checkoutBench, checkoutSettings } from './checkout/main.ts';
import { EVENT_STORE_SMOKE, eventStoreBench, eventStoreSettings } from './event-store/main.ts';
import { EVENTS_SMOKE, eventsBench, eventsSettings } from './events/main.ts';
import { GATEWAY_SMOKE, gatewayBench, gatewaySettings } from './gateway/main.ts';
import { TELEMETRY_SMOKE, telemetryBench, telemetrySettings } from './telemetry/main.ts';
import { TELEMETRY_QUERIES_SMOKE, telemetryQueriesBench, telemetryQuerySettings } from './telemetry-queries/main.ts';
import { log, machineInfo, nonFinite, reportMarkdown, resultMarkdown, type BenchResult, type RunReport } from './report.ts';

const { values } = parseArgs({
  options: {
    smoke: { type: 'boolean', default: false },
    only: { type: 'string' },
    out: { type: 'string', default: fileURLToPath(new URL('./results/', import.meta.url)) },
  },
});
const smoke = values.smoke;

const benches: Record<string, () => Promise<BenchResult>> = {
  gateway: () => gatewayBench(smoke ? GATEWAY_SMOKE : gatewaySettings()),
  events: () => eventsBench(smoke ? EVENTS_SMOKE : eventsSettings()),
  checkout: () => checkoutBench(smoke ? CHECKOUT_SMOKE : checkoutSettings()),
  'event-store': () => eventStoreBench(smoke ? EVENT_STORE_SMOKE : eventStoreSettings()),
  // The smoke run's "on" side is the checkout smoke's own devhost (telemetry on, the same settings): one
  // devhost less. A full run measures both sides itself, in ABBA rounds.
  telemetry: () => telemetryBench(smoke ? TELEMETRY_SMOKE : telemetrySettings(), smoke ? checkoutOfThisRun() : undefined),
  'telemetry-queries': () => telemetryQueriesBench(smoke ? TELEMETRY_QUERIES_SMOKE : telemetryQuerySettings()),
};
/** The checkout bench's result when it ran before in this run (it runs before telemetry's). */
const checkoutOfThisRun = () => report.results.find((r) => r.name === 'checkout');
/**
 * Left out of a smoke run unless named with --only: telemetry's two sides are checkout benches, one of them
 * the checkout smoke's own run, and the other a devhost of its own (about 25 s of `npm test` on two cores).
 */
const NOT_IN_SMOKE = new Set(['telemetry']);
const wanted = values.only
  ? values.only.split(',').map((s) => s.trim())
  : Object.keys(benches).filter((name) => !smoke || !NOT_IN_SMOKE.has(name));
for (const name of wanted)
  if (!benches[name]) throw new Error(`unknown benchmark ${name}: use ${Object.keys(benches).join(', ')}`);

/** Operations a run counted as failed (a `failed` column): a smoke run fails on any. */
function failedOperations(result: BenchResult): string[] {
  const bad: string[] = [];
  for (const t of result.tables) {
    const i = t.columns.findIndex((c) => c.name === 'failed');
    if (i < 0) continue;
    for (const r of t.rows) if (r.values[i] !== 0) bad.push(`${result.name} / ${r.name}: ${r.values[i]} failed`);
  }
  // The run's notes say why (the checkout bench notes its first failures' status and body).
  if (bad.length > 0) bad.push(...result.notes.filter((n) => n.includes(' failed: ')));
  return bad;
}

const report: RunReport = { machine: machineInfo(), mode: smoke ? 'smoke' : 'full', results: [], errors: [] };
log(
  `souk benchmarks (${report.mode}): ${wanted.join(', ')}; node ${report.machine.node}, ${report.machine.cores} cores, ` +
    `load average ${report.machine.loadBefore.join(' / ')}, commit ${report.machine.gitCommit.slice(0, 12)}`,
);
for (const name of wanted) {
  log(`\n# ${name}`);
  try {
    const result = await benches[name]!();
    report.results.push(result);
    log(`\n${resultMarkdown(result)}`);
    const problems = [...nonFinite(result), ...(smoke ? failedOperations(result) : [])];
    if (problems.length > 0) report.errors.push({ name, error: problems.join('; ') });
  } catch (err) {
    const error = err instanceof Error ? (err.stack ?? err.message) : String(err);
    process.stderr.write(`${name} failed: ${error}\n`);
    report.errors.push({ name, error: err instanceof Error ? err.message : String(err) });
  }
}
report.machine.loadAfter = loadavg().map((l) => Math.round(l * 100) / 100);

const out = resolve(values.out);
mkdirSync(out, { recursive: true });
// NaN and Infinity would become null in JSON: the checks above report them as errors first.
writeFileSync(join(out, 'latest.json'), `${JSON.stringify(report, null, 2)}\n`);
writeFileSync(join(out, 'latest.md'), reportMarkdown(report));
log(`\nwrote ${join(out, 'latest.json')} and ${join(out, 'latest.md')}`);
if (report.errors.length > 0) {
  for (const e of report.errors) process.stderr.write(`bench error: ${e.name}: ${e.error}\n`);
  process.exitCode = 1;
}
