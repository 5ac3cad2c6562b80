// What an operation costs, read from the operating system and PostgreSQL
// rather than from the clock: CPU time of every measured process (per
// instance, from /proc/<pid>/stat), of PostgreSQL's backends serving the
// measured databases, and the commits of those databases (pg_stat_database).
// Snapshots before and after a phase; the difference divided by the
// operations the phase completed is the cost per operation. `costProbe`
// measures any set of processes (bench/events: its producer and consumer,
// bench/gateway: the gateway and its upstream); `devhostCostProbe` every
// process of a devhost.

import { readFileSync } from 'node:fs';
import pg from 'pg';
import type { Devhost } from '../tests/system/devhost-harness.ts';
import { descendants, processCpuMs, processMemory, processesNamed } from '../tools/devhost/src/proc-stats.ts';
import type { Table } from './report.ts';

export { descendants, processesNamed };

/** application_name of the benchmarks' own connections: their backends are not counted. */
export const BENCH_APPLICATION = 'bench-cost';

export interface CostSnapshot {
  /** CPU ms so far by pid, with the label the pid counts under. */
  cpuMs: Map<number, { label: string; ms: number }>;
  /** Commits so far by database. */
  commits: Map<string, number>;
  /** Statements so far in the measured databases (pg_stat_statements), when it is loaded. */
  statements?: { calls: number; evictions: number };
  at: number;
}

/** A service's own DATABASE_URL, from its process environment (it can read pg_stat_database like any role). */
function databaseUrlOf(pid: number): string | undefined {
  try {
    const env = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
    return env.find((e) => e.startsWith('DATABASE_URL='))?.slice('DATABASE_URL='.length);
  } catch {
    return undefined;
  }
}

export interface MemoryRow {
  label: string;
  rss: number;
  pss: number;
}

export interface CostSources {
  /** The processes to measure now, pid → label (pids sharing a label are summed); asked at every snapshot. */
  processes(): Promise<Map<number, string>>;
  /** Where to read pg_stat_database and pg_stat_activity; none: CPU of the processes only. */
  databaseUrl?: string;
  /** The databases whose commits count (and whose backends count, with `backends`). */
  databases?: ReadonlySet<string>;
  /** Count the CPU of PostgreSQL's backends serving `databases` as `postgres` (a server not among the processes). */
  backends?: boolean;
  /** A superuser's URL on a server with pg_stat_statements preloaded: statements per operation too. */
  statementsUrl?: string;
}

export interface CostProbe {
  snapshot(): Promise<CostSnapshot>;
  /** RSS and PSS now, by label, largest PSS first, the total last. */
  memory(): Promise<MemoryRow[]>;
  close(): Promise<void>;
}

export async function costProbe(sources: CostSources): Promise<CostProbe> {
  const databases = sources.databases ?? new Set<string>();
  const db = sources.databaseUrl
    ? new pg.Client({ connectionString: sources.databaseUrl, application_name: BENCH_APPLICATION })
    : undefined;
  await db?.connect();
  const admin = sources.statementsUrl
    ? new pg.Client({ connectionString: sources.statementsUrl, application_name: BENCH_APPLICATION })
    : undefined;
  if (admin) {
    await admin.connect();
    await admin.query('create extension if not exists pg_stat_statements');
  }
  return {
    async snapshot() {
      const cpuMs = new Map<number, { label: string; ms: number }>();
      const add = (pid: number, label: string) => {
        const ms = processCpuMs(pid);
        if (ms !== undefined) cpuMs.set(pid, { label, ms });
      };
      for (const [pid, label] of await sources.processes()) add(pid, label);
      const commits = new Map<string, number>();
      if (db) {
        if (sources.backends) {
          const { rows } = await db.query<{ pid: number; datname: string }>(
            'select pid, datname from pg_stat_activity where datname is not null and application_name <> $1',
            [BENCH_APPLICATION],
          );
          for (const r of rows) if (databases.has(r.datname)) add(r.pid, 'postgres');
        }
        const { rows } = await db.query<{ datname: string; commits: string }>(
          'select datname, xact_commit + xact_rollback as commits from pg_stat_database where datname is not null',
        );
        for (const r of rows) if (databases.has(r.datname)) commits.set(r.datname, Number(r.commits));
      }
      let statements: CostSnapshot['statements'];
      if (admin) {
        // Top-level statements, BEGIN and COMMIT included (track_utility); the bench's own connections left out.
        const { rows } = await admin.query<{ calls: string; evictions: string }>(
          `select coalesce(sum(s.calls), 0) as calls, (select dealloc from pg_stat_statements_info) as evictions
             from pg_stat_statements s join pg_database d on d.oid = s.dbid join pg_roles r on r.oid = s.userid
            where d.datname = any($1) and r.rolname <> current_user`,
          [[...databases]],
        );
        statements = { calls: Number(rows[0]!.calls), evictions: Number(rows[0]!.evictions) };
      }
      return { cpuMs, commits, statements, at: performance.now() };
    },
    async memory() {
      const rows = new Map<string, MemoryRow>();
      for (const [pid, label] of await sources.processes()) {
        const m = processMemory(pid);
        if (!m) continue;
        const row = rows.get(label) ?? { label, rss: 0, pss: 0 };
        row.rss += m.rssMb;
        row.pss += m.pssMb;
        rows.set(label, row);
      }
      const sorted = [...rows.values()].sort((a, b) => b.pss - a.pss);
      const total = sorted.reduce((t, r) => ({ label: 'total', rss: t.rss + r.rss, pss: t.pss + r.pss }), {
        label: 'total',
        rss: 0,
        pss: 0,
      });
      return [...sorted, total];
    },
    close: async () => {
      await db?.end();
      await admin?.end();
    },
  };
}

/**
 * Every process of a devhost: the devhost itself, each service instance by its id, its embedded PostgreSQL
 * (all its processes as `postgres`) and anything else it started (`other: <name>`); with a PostgreSQL
 * server the devhost did not start (DATABASE_URL), that server's backends for the devhost's databases.
 */
export async function devhostCostProbe(devhost: Devhost, options: { statements?: boolean } = {}): Promise<CostProbe> {
  const devhostPid = devhost.process.pid!;
  const instances = await devhost.instances();
  const url = instances.map((i) => databaseUrlOf(i.pid)).find((u) => u !== undefined);
  if (!url) throw new Error('no devhost instance has a DATABASE_URL to read pg_stat_database with');
  // The databases of this devhost: those its instances' connections use.
  const databases = new Set<string>();
  for (const i of instances) {
    const u = databaseUrlOf(i.pid);
    if (u) databases.add(decodeURIComponent(new URL(u).pathname.slice(1)));
  }
  const embedded = [...descendants(devhostPid).values()].includes('postgres');
  // The embedded server's superuser, on the port the services use: a service's DATABASE_URL carries no
  // password (it reads it from its own secrets), so the probe reads pg_stat_database as the superuser.
  let adminUrl: string | undefined;
  if (embedded) {
    const admin = new URL(url);
    admin.username = 'postgres';
    admin.password = await devhost.secret('postgres-password');
    admin.pathname = '/postgres';
    adminUrl = admin.href;
  }
  const statementsUrl = options.statements ? adminUrl : undefined;
  return costProbe({
    statementsUrl,
    async processes() {
      const labels = new Map((await devhost.instances()).map((i) => [i.pid, i.instanceId]));
      const all = new Map<number, string>([[devhostPid, 'devhost']]);
      for (const [pid, name] of descendants(devhostPid)) {
        all.set(pid, labels.get(pid) ?? (name === 'postgres' ? 'postgres' : `other: ${name}`));
      }
      return all;
    },
    // A server the devhost did not start trusts the service's URL as the services' roles do (the shell's DATABASE_URL).
    databaseUrl: adminUrl ?? url,
    databases,
    backends: !embedded,
  });
}

/** Memory rows as a table. */
export function memoryTable(rows: readonly MemoryRow[]): Table {
  return {
    title: 'process (idle)',
    columns: [
      { name: 'PSS', unit: 'MB' },
      { name: 'RSS', unit: 'MB' },
    ],
    rows: rows.map((r) => ({ name: r.label === 'total' ? '**total**' : r.label, values: [r.pss, r.rss] })),
  };
}

export interface CostReport {
  operations: number;
  seconds: number;
  /** CPU ms per operation by label, largest first. */
  cpuPerOp: [string, number][];
  totalCpuPerOp: number;
  commitsPerOp: number;
  /** Statements per operation (pg_stat_statements), when measured and no entry was evicted meanwhile. */
  statementsPerOp?: number;
  /** Cores busy on average over the phase. */
  coresBusy: number;
}

export function costBetween(before: CostSnapshot, after: CostSnapshot, operations: number): CostReport {
  const per = (n: number) => (operations > 0 ? n / operations : NaN);
  const byLabel = new Map<string, number>();
  let total = 0;
  for (const [pid, { label, ms }] of after.cpuMs) {
    // A process started in between (a restart, a new backend) counts from 0.
    const delta = ms - (before.cpuMs.get(pid)?.ms ?? 0);
    total += delta;
    byLabel.set(label, (byLabel.get(label) ?? 0) + delta);
  }
  const cpu = [...byLabel].map(([label, ms]): [string, number] => [label, per(ms)]).sort((a, b) => b[1] - a[1]);
  let commits = 0;
  for (const [database, n] of after.commits) commits += n - (before.commits.get(database) ?? 0);
  const seconds = (after.at - before.at) / 1000;
  const s0 = before.statements;
  const s1 = after.statements;
  return {
    operations,
    seconds,
    cpuPerOp: cpu,
    totalCpuPerOp: per(total),
    commitsPerOp: per(commits),
    ...(s0 && s1 && s1.evictions === s0.evictions ? { statementsPerOp: per(s1.calls - s0.calls) } : {}),
    coresBusy: total / 1000 / seconds,
  };
}

/** The report as a table: one row a process, all processes first; processes under 0.05 ms per operation left out. */
export function costTable(title: string, report: CostReport): Table {
  return {
    title: `${title} (${report.operations} ops in ${report.seconds.toFixed(1)} s, ${report.coresBusy.toFixed(2)} cores busy)`,
    columns: [{ name: 'CPU per op', unit: 'ms' }],
    rows: [
      { name: '**all processes**', values: [report.totalCpuPerOp] },
      ...report.cpuPerOp.filter(([, ms]) => ms >= 0.05).map(([label, ms]) => ({ name: label, values: [ms] })),
    ],
  };
}
