// What every benchmark returns, and how `npm run bench` writes it: tables
// whose columns carry a unit, so that bench/results/latest.json holds every
// figure with its unit and bench/results/latest.md renders the same figures.

import { execFileSync } from 'node:child_process';
import { cpus, freemem, loadavg, totalmem } from 'node:os';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

export interface Column {
  name: string;
  unit: string;
}

export interface TableRow {
  name: string;
  /** One value per column; null where a figure does not apply (e.g. a ratio over a 0 ms latency). */
  values: (number | null)[];
}

export interface Table {
  title: string;
  columns: Column[];
  rows: TableRow[];
}

export interface BenchResult {
  /** gateway, events, checkout, event-store. */
  name: string;
  /** What was measured and against which baseline. */
  title: string;
  settings: Record<string, number | string>;
  tables: Table[];
  notes: string[];
  seconds: number;
}

export interface MachineInfo {
  date: string;
  node: string;
  platform: string;
  cpuModel: string;
  cores: number;
  memoryGb: number;
  freeMemoryGb: number;
  /** 1, 5 and 15 minute load averages. */
  loadBefore: number[];
  loadAfter: number[];
  gitCommit: string;
  /** Uncommitted changes in the tree when the run started. */
  gitDirty: boolean;
}

function git(args: string[]): string {
  try {
    return execFileSync('git', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return '';
  }
}

export function machineInfo(): MachineInfo {
  return {
    date: new Date().toISOString(),
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    cpuModel: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    memoryGb: round(totalmem() / 2 ** 30, 1),
    freeMemoryGb: round(freemem() / 2 ** 30, 1),
    loadBefore: loadavg().map((l) => round(l, 2)),
    loadAfter: [],
    gitCommit: git(['rev-parse', 'HEAD']) || 'unknown',
    gitDirty: git(['status', '--porcelain', '--untracked-files=no']) !== '',
  };
}

function round(n: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

export function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

/** Every figure that is not finite (NaN, Infinity): a benchmark bug or an empty run, never a result. */
export function nonFinite(result: BenchResult): string[] {
  const bad: string[] = [];
  for (const t of result.tables) {
    for (const r of t.rows) {
      if (r.values.length !== t.columns.length)
        bad.push(`${result.name} / ${t.title} / ${r.name}: ${r.values.length} values for ${t.columns.length} columns`);
      r.values.forEach((v, i) => {
        if (v !== null && !Number.isFinite(v)) bad.push(`${result.name} / ${t.title} / ${r.name} / ${t.columns[i]?.name}: ${v}`);
      });
    }
  }
  return bad;
}

/** A figure with as many decimals as its size needs: 12345, 123, 12.3, 1.23, 0.123. */
export function formatFigure(v: number | null): string {
  if (v === null) return 'n/a';
  const a = Math.abs(v);
  if (a >= 100 || Number.isInteger(v)) return Math.round(v).toLocaleString('en-US');
  if (a >= 10) return v.toFixed(1);
  if (a >= 1) return v.toFixed(2);
  return v.toFixed(3);
}

export function tableMarkdown(table: Table): string {
  const head = table.columns.map((c) => (c.unit ? `${c.name} (${c.unit})` : c.name));
  return [
    `| ${table.title} | ${head.join(' | ')} |`,
    `|---|${table.columns.map(() => '---:').join('|')}|`,
    ...table.rows.map((r) => `| ${r.name} | ${r.values.map(formatFigure).join(' | ')} |`),
  ].join('\n');
}

export function resultMarkdown(result: BenchResult): string {
  const settings = Object.entries(result.settings)
    .map(([k, v]) => `${k}=${v}`)
    .join(', ');
  return [
    `## ${result.name}: ${result.title}`,
    '',
    `Settings: ${settings || 'none'}; took ${result.seconds.toFixed(0)} s.`,
    '',
    ...result.tables.flatMap((t) => [tableMarkdown(t), '']),
    ...result.notes.map((n) => `- ${n}`),
  ]
    .join('\n')
    .trimEnd();
}

export interface RunReport {
  machine: MachineInfo;
  mode: 'full' | 'smoke';
  results: BenchResult[];
  /** Benchmarks that threw, with their error. */
  errors: { name: string; error: string }[];
}

export function reportMarkdown(report: RunReport): string {
  const m = report.machine;
  return [
    `# souk benchmarks (${report.mode} run)`,
    '',
    `${m.date}, commit ${m.gitCommit.slice(0, 12)}${m.gitDirty ? ' (with uncommitted changes)' : ''}; node ${m.node} on ${m.platform}, ` +
      `${m.cores} × ${m.cpuModel}, ${m.memoryGb} GB; load average ${m.loadBefore.join(' / ')} before, ${m.loadAfter.join(' / ')} after. ` +
      'Everything ran on this one machine; compare rows of the same run.',
    '',
    ...report.results.flatMap((r) => [resultMarkdown(r), '']),
    ...(report.errors.length > 0 ? ['## Errors', '', ...report.errors.map((e) => `- ${e.name}: ${e.error}`), ''] : []),
  ].join('\n');
}

/** True when the module at `url` is the program node was started with (a benchmark run on its own). */
export function isMain(url: string): boolean {
  return process.argv[1] !== undefined && pathToFileURL(resolve(process.argv[1])).href === url;
}

export const log = (line: string): void => void process.stdout.write(`${line}\n`);

/** Runs one benchmark on its own (`npm run bench:<name>`): progress as it goes, then its tables. */
export async function runStandalone(bench: () => Promise<BenchResult>): Promise<void> {
  const m = machineInfo();
  log(`node ${m.node}, ${m.cores} cores, load average ${m.loadBefore.join(' / ')}, commit ${m.gitCommit.slice(0, 12)}`);
  try {
    const result = await bench();
    log(`\n${resultMarkdown(result)}`);
    const bad = nonFinite(result);
    if (bad.length > 0) throw new Error(`figures that are not numbers: ${bad.join('; ')}`);
  } catch (err) {
    process.stderr.write(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exitCode = 1;
  }
}
