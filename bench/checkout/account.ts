// What one checkout does, counted rather than timed: the HTTP requests every
// process served (by route, from each instance's /metrics on its admin listener) and made (by callee),
// the statements of every database (pg_stat_statements, grouped by text) and
// its commits (pg_stat_database), over a phase of checkouts on the real devhost,
// divided by the checkouts. Background work in that phase (polls, renewals)
// counts too: the system pays it per checkout. The table in docs/performance.md
// ("Where a checkout's work goes") comes from it.
// Run: `BENCH_CHECKOUTS=100 npx tsx bench/checkout/account.ts` (prints Markdown).
// `BENCH_CPU_PROF=orders,payments` profiles those services (devhost --cpu-prof); their
// .cpuprofile files are copied to BENCH_PROFILE_DIR (default .souk/profiles-account).

import { readFileSync } from 'node:fs';
import pg from 'pg';
import { startDevhost, type Devhost } from '../../tests/system/devhost-harness.ts';
import { BENCH_APPLICATION, costBetween, devhostCostProbe } from '../cost.ts';
import { positive } from '../settings.ts';
import { BENCH_IDENTITY_ENV, prepareShop } from './shop-setup.ts';

const CHECKOUTS = positive('BENCH_CHECKOUTS', 100);
const SHOPPERS = positive('BENCH_SHOPPERS', 20);
const CONCURRENCY = positive('BENCH_CONCURRENCY', 10);
const WARM_UP = positive('BENCH_WARM_UP', 30);
/** Rows under this many per checkout are summed into "other". */
const SHOWN = Number(process.env.BENCH_ACCOUNT_MIN ?? '0.05');

type Counts = Map<string, number>;

/** `name{labels} value` lines of a Prometheus text answer for one metric, summed by `key(labels)`. */
function countsOf(text: string, metric: string, key: (labels: Record<string, string>) => string, into: Counts) {
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${metric}{`)) continue;
    const close = line.lastIndexOf('}');
    const labels: Record<string, string> = {};
    for (const m of line.slice(metric.length + 1, close).matchAll(/(\w+)="([^"]*)"/g)) labels[m[1]!] = m[2]!;
    const k = key(labels);
    into.set(k, (into.get(k) ?? 0) + Number(line.slice(close + 1)));
  }
}

async function httpCounts(devhost: Devhost): Promise<{ served: Counts; made: Counts }> {
  const served: Counts = new Map();
  const made: Counts = new Map();
  for (const i of await devhost.instances()) {
    let text: string;
    try {
      // With the devhost's client certificate: admin listeners are mutual TLS.
      text = await (await devhost.fetch(`${i.adminUrl}/metrics`)).text();
    } catch {
      continue;
    }
    countsOf(
      text,
      'http_server_request_duration_seconds_count',
      (l) => `${i.service} ← ${l.http_request_method} ${l.http_route}`,
      served,
    );
    countsOf(
      text,
      'http_client_request_duration_seconds_count',
      (l) => `${i.service} → ${l.service} ${l.http_request_method}`,
      made,
    );
  }
  return { served, made };
}

async function statementCounts(admin: pg.Client, databases: string[]): Promise<{ calls: Counts; commits: Counts }> {
  const calls: Counts = new Map();
  const { rows } = await admin.query<{ datname: string; query: string; calls: string }>(
    `select d.datname, s.query, s.calls from pg_stat_statements s join pg_database d on d.oid = s.dbid
       join pg_roles r on r.oid = s.userid where d.datname = any($1) and r.rolname <> current_user`,
    [databases],
  );
  for (const r of rows) {
    const k = `${r.datname}\t${r.query.replace(/\s+/g, ' ').slice(0, 160)}`;
    calls.set(k, (calls.get(k) ?? 0) + Number(r.calls));
  }
  const commits: Counts = new Map();
  const c = await admin.query<{ datname: string; n: string }>(
    'select datname, xact_commit + xact_rollback as n from pg_stat_database where datname = any($1)',
    [databases],
  );
  for (const r of c.rows) commits.set(r.datname, Number(r.n));
  return { calls, commits };
}

const delta = (a: Counts, b: Counts) => {
  const d: Counts = new Map();
  for (const [k, v] of b) {
    const n = v - (a.get(k) ?? 0);
    if (n > 0) d.set(k, n);
  }
  return d;
};

function table(title: string, header: string, rows: Counts, per: number): string {
  const sorted = [...rows].map(([k, v]): [string, number] => [k, v / per]).sort((x, y) => y[1] - x[1]);
  const shown = sorted.filter(([, v]) => v >= SHOWN);
  const other = sorted.filter(([, v]) => v < SHOWN).reduce((t, [, v]) => t + v, 0);
  const total = sorted.reduce((t, [, v]) => t + v, 0);
  const line = (k: string, v: number) => `| ${k.replaceAll('|', '\\|').replaceAll('\t', ' | ')} | ${v.toFixed(2)} |`;
  return [
    `\n${title}: ${total.toFixed(1)} per checkout\n`,
    header,
    ...shown.map(([k, v]) => line(k, v)),
    ...(other > 0 ? [line('other', other)] : []),
  ].join('\n');
}

const PROFILED = process.env.BENCH_CPU_PROF;
const devhost = await startDevhost(PROFILED ? ['--cpu-prof', PROFILED] : [], {
  ...BENCH_IDENTITY_ENV,
  SOUK_PG_STAT_STATEMENTS: '1',
});
try {
  const probe = await devhostCostProbe(devhost, { statements: true });
  const instances = await devhost.instances();
  const envOf = (pid: number) => readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
  const dbUrl = instances.map((i) => envOf(i.pid).find((e) => e.startsWith('DATABASE_URL='))).find((e) => e);
  const url = new URL(dbUrl!.slice('DATABASE_URL='.length));
  url.username = 'postgres';
  url.password = await devhost.secret('postgres-password');
  url.pathname = '/postgres';
  const admin = new pg.Client({ connectionString: url.href, application_name: BENCH_APPLICATION });
  admin.on('error', () => undefined); // the devhost's stop ends its server
  await admin.connect();
  const { rows } = await admin.query<{ datname: string }>("select datname from pg_database where datname like 'souk_%'");
  const databases = rows.map((r) => r.datname);

  const { s, productIds, shoppers } = await prepareShop(devhost, SHOPPERS);

  const checkouts = async (n: number) => {
    let next = 0;
    let confirmed = 0;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < n) {
          const i = next++;
          const sh = shoppers[i % shoppers.length]!;
          await s.addToCart(sh.token, productIds[i % productIds.length]!, 1);
          const placed = await s.checkout(sh.token, { waitSeconds: 30 });
          if (placed.body?.status === 'CONFIRMED') confirmed++;
        }
      }),
    );
    return confirmed;
  };
  process.stderr.write(`warm-up: ${WARM_UP} checkouts\n`);
  await checkouts(WARM_UP);
  // Let the fulfilment of the warm-up drain so it does not count below.
  await new Promise((r) => setTimeout(r, 3000));

  const [h0, s0, p0] = [await httpCounts(devhost), await statementCounts(admin, databases), await probe.snapshot()];
  process.stderr.write(`measured: ${CHECKOUTS} checkouts\n`);
  const started = performance.now();
  const confirmed = await checkouts(CHECKOUTS);
  const seconds = (performance.now() - started) / 1000;
  const [h1, s1, p1] = [await httpCounts(devhost), await statementCounts(admin, databases), await probe.snapshot()];
  const cost = costBetween(p0, p1, confirmed);

  const byDb: Counts = new Map();
  for (const [k, v] of delta(s0.calls, s1.calls)) byDb.set(k.split('\t')[0]!, (byDb.get(k.split('\t')[0]!) ?? 0) + v);
  console.log(
    `${confirmed} of ${CHECKOUTS} CONFIRMED in ${seconds.toFixed(1)} s (${(confirmed / seconds).toFixed(1)}/s), ` +
      `${SHOPPERS} shoppers, ${CONCURRENCY} at a time; each with one cart write before it. ` +
      `CPU ms per checkout ${cost.totalCpuPerOp.toFixed(1)} (${cost.cpuPerOp
        .filter(([, v]) => v >= 0.5)
        .map(([k, v]) => `${k} ${v.toFixed(1)}`)
        .join(', ')})`,
  );
  console.log(
    table('HTTP requests served', '| service ← route | per checkout |\n|---|---:|', delta(h0.served, h1.served), confirmed),
  );
  console.log(
    table('HTTP requests made (attempts)', '| caller → callee | per checkout |\n|---|---:|', delta(h0.made, h1.made), confirmed),
  );
  console.log(table('commits', '| database | per checkout |\n|---|---:|', delta(s0.commits, s1.commits), confirmed));
  console.log(table('statements by database', '| database | per checkout |\n|---|---:|', byDb, confirmed));
  console.log(
    table('statements', '| database | statement | per checkout |\n|---|---|---:|', delta(s0.calls, s1.calls), confirmed),
  );
  await admin.end();
  await probe.close();
} catch (err) {
  console.error(err);
  process.exitCode = 1;
} finally {
  await devhost.stop();
}
if (PROFILED) {
  // The devhost removed its data dir on stop unless SOUK_KEEP_TEST_DATA was set.
  process.stderr.write(`profiles: ${devhost.dataDir}/profiles (set SOUK_KEEP_TEST_DATA=1 to keep them)\n`);
}
