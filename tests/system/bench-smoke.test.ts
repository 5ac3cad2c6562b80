// `npm run bench -- --smoke`: every benchmark with tiny counts (the checkout
// one on a devhost of its own), as `npm run bench` runs them, into a
// temporary results folder. Fails when a benchmark throws, a figure is not a
// finite number or an operation failed; never on a timing, so it holds on a
// loaded machine.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RunReport } from '../../bench/report.ts';

const root = new URL('../..', import.meta.url).pathname;

test(
  'npm run bench -- --smoke runs every benchmark and writes finite figures with their units',
  { timeout: 600_000 },
  async () => {
    const out = await mkdtemp(join(tmpdir(), 'souk-bench-smoke-'));
    try {
      const child = spawn(process.execPath, ['--import', 'tsx', 'bench/main.ts', '--smoke', '--out', out], {
        cwd: root,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let output = '';
      child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
      const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
      // What went wrong first (the runner's `bench error:` lines come last in a long output), then the tail.
      const errors = output.split('\n').filter((l) => /^bench error: |^\w[\w-]* failed: /.test(l));
      assert.equal(code, 0, `bench --smoke exited with ${code}:\n${errors.join('\n')}\n…\n${output.slice(-3000)}`);

      const report = JSON.parse(await readFile(join(out, 'latest.json'), 'utf8')) as RunReport;
      assert.equal(report.mode, 'smoke');
      assert.deepEqual(report.errors, []);
      assert.deepEqual(
        report.results.map((r) => r.name),
        // telemetry's bench is two checkout benches (one the checkout smoke): not in a smoke run unless named.
        ['gateway', 'events', 'checkout', 'event-store', 'telemetry-queries'],
      );
      // The day-of-data bench timed every console query, on an hour and on the day, after loading both.
      const queries = report.results.find((r) => r.name === 'telemetry-queries')!.tables[0]!;
      assert.ok(queries.rows.length >= 10, 'every query the console sends');
      for (const row of queries.rows)
        assert.ok(
          row.values.slice(0, 2).every((v) => v !== null && v > 0),
          row.name,
        );
      assert.match(report.machine.gitCommit, /^[0-9a-f]{40}$|^unknown$/);
      assert.ok(report.machine.cores > 0);
      for (const result of report.results) {
        assert.ok(result.tables.length > 0, `${result.name} has no figures`);
        for (const table of result.tables) {
          for (const column of table.columns) assert.equal(typeof column.unit, 'string', `${result.name} / ${table.title}`);
          for (const row of table.rows) {
            assert.equal(row.values.length, table.columns.length, `${result.name} / ${row.name}`);
            // null is "does not apply" (a ratio over 0 ms); NaN or Infinity would have been written as null
            // too, which is why the runner itself rejects them (report.errors, checked above).
            for (const v of row.values) assert.ok(v === null || Number.isFinite(v), `${result.name} / ${row.name}: ${v}`);
          }
        }
      }
      // Every operation of the checkout run completed: the same count as asked for, none failed.
      const runs = report.results.find((r) => r.name === 'checkout')!.tables[0]!;
      const completed = runs.columns.findIndex((c) => c.name === 'completed');
      const failed = runs.columns.findIndex((c) => c.name === 'failed');
      for (const row of runs.rows) {
        assert.equal(row.values[failed], 0, row.name);
        assert.ok((row.values[completed] ?? 0) > 0, row.name);
      }
      const markdown = await readFile(join(out, 'latest.md'), 'utf8');
      assert.match(markdown, /^# souk benchmarks \(smoke run\)/);
      assert.match(markdown, /where the CPU of a checkout goes/);
    } finally {
      await rm(out, { recursive: true, force: true });
    }
  },
);
