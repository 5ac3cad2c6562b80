// Runs the test suite with node:test through tsx. Node 20 does not expand globs
// in `--test`, so the files are found here. `npm test` runs every tier (unit and
// integration together, then the system tests); `npm run test:unit|int|system` runs one tier.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const tiers = {
  unit: /\.unit\.test\.ts$/,
  int: /\.int\.test\.ts$/,
  system: /^tests\/.*\.test\.ts$/,
};
const wanted = process.argv[2] ? [process.argv[2]] : Object.keys(tiers);
for (const tier of wanted) if (!tiers[tier]) throw new Error(`unknown test tier ${tier}: use ${Object.keys(tiers).join(', ')}`);

function* walk(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'node_modules' || entry.name.startsWith('.')) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* walk(path);
    else yield relative(root, path);
  }
}

const files = [...walk(root)].filter((f) => wanted.some((t) => tiers[t].test(f))).sort();
if (files.length === 0) {
  console.error('no test files found');
  process.exit(1);
}
// System tests each start the whole devhost (fourteen processes on this machine's two cores): they run
// after the other tiers, one at a time, so they neither starve each other nor the integration tests.
const isSystem = (f) => tiers.system.test(f);
// A file's tests together get 3 minutes; a system file 5 (its devhost's start, and checkout.test.ts signs up
// 60 shoppers, two scrypt hashes each, through identity's two hashing slots: about 50 s on a busy machine).
const runs = [
  // Three files at a time on two cores: most integration tests wait on PostgreSQL or NATS more than they
  // compute (measured: the integration tier 398 s at three, about 580 at two; the unit tier 129 s and 169 s).
  { files: files.filter((f) => !isSystem(f)), concurrency: Number(process.env.SOUK_TEST_CONCURRENCY ?? 3), timeoutMs: 180_000 },
  { files: files.filter(isSystem), concurrency: 1, timeoutMs: 300_000 },
].filter((r) => r.files.length > 0);
let status = 0;
for (const run of runs) {
  const result = spawnSync(
    process.execPath,
    ['--import', 'tsx', '--test', `--test-concurrency=${run.concurrency}`, `--test-timeout=${run.timeoutMs}`, ...run.files],
    { cwd: root, stdio: 'inherit', env: { ...process.env, OTEL_METRICS_EXPORTER: 'none', OTEL_LOGS_EXPORTER: 'none' } },
  );
  if (result.status !== 0) status = result.status ?? 1;
}
process.exit(status);
