// The arithmetic of bench/cost.ts and the checks of bench/report.ts, on made-up snapshots.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { costBetween, costTable, type CostSnapshot } from './cost.ts';
import { formatFigure, nonFinite, reportMarkdown, type BenchResult } from './report.ts';

const snapshot = (cpu: [number, string, number][], commits: [string, number][], at: number, statements?: [number, number]) =>
  ({
    cpuMs: new Map(cpu.map(([pid, label, ms]) => [pid, { label, ms }])),
    commits: new Map(commits),
    ...(statements ? { statements: { calls: statements[0], evictions: statements[1] } } : {}),
    at,
  }) satisfies CostSnapshot;

test('cost per operation: deltas per pid summed by label, new pids from zero, commits and statements per operation', () => {
  const before = snapshot(
    [
      [10, 'orders-1', 1_000],
      [20, 'postgres', 500],
      [21, 'postgres', 100],
    ],
    [['souk_orders', 50]],
    0,
    [1_000, 3],
  );
  const after = snapshot(
    [
      [10, 'orders-1', 1_400],
      [20, 'postgres', 700],
      [22, 'postgres', 60], // a backend that connected during the phase
    ],
    [['souk_orders', 90]],
    2_000,
    [1_800, 3],
  );
  const report = costBetween(before, after, 4);
  assert.deepEqual(report.cpuPerOp, [
    ['orders-1', 100],
    ['postgres', 65],
  ]);
  assert.equal(report.totalCpuPerOp, 165);
  assert.equal(report.commitsPerOp, 10);
  assert.equal(report.statementsPerOp, 200);
  assert.equal(report.coresBusy, 0.33);
  const table = costTable('checkout', report);
  assert.deepEqual(
    table.rows.map((r) => [r.name, r.values[0]]),
    [
      ['**all processes**', 165],
      ['orders-1', 100],
      ['postgres', 65],
    ],
  );
});

test('statements per operation are left out when pg_stat_statements evicted entries during the phase', () => {
  const report = costBetween(snapshot([], [], 0, [1_000, 3]), snapshot([], [], 1_000, [1_500, 4]), 5);
  assert.equal(report.statementsPerOp, undefined);
});

test('no operation completed: the figures are NaN, which the report check rejects', () => {
  const report = costBetween(snapshot([[1, 'a', 0]], [], 0), snapshot([[1, 'a', 10]], [], 1_000), 0);
  assert.ok(Number.isNaN(report.totalCpuPerOp));
  const result: BenchResult = {
    name: 'x',
    title: 't',
    settings: {},
    seconds: 1,
    notes: [],
    tables: [costTable('x', report), { title: 'y', columns: [{ name: 'a', unit: 'ms' }], rows: [{ name: 'r', values: [1, 2] }] }],
  };
  const bad = nonFinite(result);
  assert.equal(bad.length, 2, bad.join('\n')); // all processes: NaN; r: two values for one column
  assert.match(bad[1]!, /2 values for 1 columns/);
});

test('figures print with the decimals their size needs, null as n/a', () => {
  assert.deepEqual([12_345.6, 123.4, 12.34, 1.234, 0.1234, 7, null].map(formatFigure), [
    '12,346',
    '123',
    '12.3',
    '1.23',
    '0.123',
    '7',
    'n/a',
  ]);
});

test('the Markdown report names the machine, each benchmark and its errors', () => {
  const md = reportMarkdown({
    mode: 'smoke',
    machine: {
      date: '2026-12-06T00:00:00.000Z',
      node: 'v20.20.2',
      platform: 'linux-x64',
      cpuModel: 'cpu',
      cores: 2,
      memoryGb: 8,
      freeMemoryGb: 4,
      loadBefore: [1, 2, 3],
      loadAfter: [3, 2, 1],
      gitCommit: 'abcdef0123456789',
      gitDirty: true,
    },
    results: [
      {
        name: 'events',
        title: 'publish → handled',
        settings: { BENCH_RATE: 50 },
        seconds: 3,
        notes: ['a note'],
        tables: [{ title: 'transport', columns: [{ name: 'p50', unit: 'ms' }], rows: [{ name: 'feed', values: [1.5] }] }],
      },
    ],
    errors: [{ name: 'checkout', error: 'boom' }],
  });
  assert.match(md, /^# souk benchmarks \(smoke run\)/);
  assert.match(md, /commit abcdef012345 \(with uncommitted changes\); node v20\.20\.2/);
  assert.match(md, /load average 1 \/ 2 \/ 3 before, 3 \/ 2 \/ 1 after/);
  assert.match(md, /\| transport \| p50 \(ms\) \|\n\|---\|---:\|\n\| feed \| 1\.50 \|/);
  assert.match(md, /- a note/);
  assert.match(md, /## Errors\n\n- checkout: boom/);
});
