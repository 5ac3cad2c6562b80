// What an operation costs, read from the operating system and PostgreSQL
// rather than from the clock: CPU time of every devhost process (per
// instance, from /proc/<pid>/stat) and of PostgreSQL's backends serving
// souk's databases, and the commits of each service's database
// (pg_stat_database). Snapshots before and after a phase; the difference
// divided by the operations the phase completed is the cost per operation.

import { readFileSync, readdirSync } from 'node:fs';
import pg from 'pg';
import type { Devhost } from '../tests/system/devhost-harness.ts';

const TICKS_PER_SECOND = 100; // USER_HZ: getconf CLK_TCK is 100 on Linux x86-64 and arm64

export interface CostSnapshot {
  /** CPU ms so far by label (an instance id, `devhost`, `postgres`). */
  cpuMs: Map<string, number>;
  /** Commits so far by database. */
  commits: Map<string, number>;
  at: number;
}

/** utime + stime of a process in ms, or undefined once it is gone. */
function processCpuMs(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses: count from the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SECOND;
  } catch {
    return undefined;
  }
}

/** The processes below `root` (children, grandchildren, …), from /proc. */
function descendants(root: number): Map<number, string> {
  const parent = new Map<number, number>();
  const names = new Map<number, string>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      parent.set(Number(entry), ppid);
      names.set(Number(entry), name);
    } catch {
      // gone meanwhile
    }
  }
  const below = new Map<number, string>();
  for (const [pid] of parent) {
    for (let p = parent.get(pid); p !== undefined && p > 1; p = parent.get(p)) {
      if (p === root) {
        below.set(pid, names.get(pid) ?? '?');
        break;
      }
    }
  }
  return below;
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

/** Resident and proportional set size of a process in MB (PSS shares shared pages among their users). */
function processMemoryMb(pid: number): { rss: number; pss: number } | undefined {
  try {
    const rollup = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
    const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(rollup)?.[1] ?? 0);
    return { rss: kb('Rss') / 1024, pss: kb('Pss') / 1024 };
  } catch {
    return undefined;
  }
}

export interface MemoryRow {
  label: string;
  rss: number;
  pss: number;
}

export interface CostProbe {
  snapshot(): Promise<CostSnapshot>;
  /** RSS and PSS now, by label (PostgreSQL's processes summed), largest PSS first, the total last. */
  memory(): Promise<MemoryRow[]>;
  close(): Promise<void>;
}

export async function costProbe(devhost: Devhost): Promise<CostProbe> {
  const devhostPid = devhost.process.pid!;
  const instances = await devhost.instances();
  const url = instances.map((i) => databaseUrlOf(i.pid)).find((u) => u !== undefined);
  if (!url) throw new Error('no devhost instance has a DATABASE_URL to read pg_stat_database with');
  const db = new pg.Client({ connectionString: url, application_name: 'bench-cost' });
  await db.connect();
  // The databases of this devhost: those its instances' connections use.
  const databases = new Set<string>();
  for (const i of instances) {
    const u = databaseUrlOf(i.pid);
    if (u) databases.add(decodeURIComponent(new URL(u).pathname.slice(1)));
  }

  return {
    async snapshot() {
      const cpuMs = new Map<string, number>();
      const add = (label: string, ms: number | undefined) => {
        if (ms !== undefined) cpuMs.set(label, (cpuMs.get(label) ?? 0) + ms);
      };
      const labels = new Map((await devhost.instances()).map((i) => [i.pid, i.instanceId]));
      add('devhost', processCpuMs(devhostPid));
      const below = descendants(devhostPid);
      for (const [pid, name] of below) {
        if (labels.has(pid)) add(labels.get(pid)!, processCpuMs(pid));
        else if (name === 'postgres') add('postgres', processCpuMs(pid));
      }
      // A PostgreSQL server the devhost did not start (DATABASE_URL): its backends for our databases.
      if (![...below.values()].includes('postgres')) {
        const { rows } = await db.query<{ pid: number; datname: string }>(
          'select pid, datname from pg_stat_activity where datname is not null',
        );
        for (const r of rows) if (databases.has(r.datname)) add('postgres', processCpuMs(r.pid));
      }
      const commits = new Map<string, number>();
      const { rows } = await db.query<{ datname: string; commits: string }>(
        'select datname, xact_commit + xact_rollback as commits from pg_stat_database where datname is not null',
      );
      for (const r of rows) if (databases.has(r.datname)) commits.set(r.datname, Number(r.commits));
      return { cpuMs, commits, at: performance.now() };
    },
    async memory() {
      const rows = new Map<string, MemoryRow>();
      const add = (label: string, m: { rss: number; pss: number } | undefined) => {
        if (!m) return;
        const row = rows.get(label) ?? { label, rss: 0, pss: 0 };
        row.rss += m.rss;
        row.pss += m.pss;
        rows.set(label, row);
      };
      const labels = new Map((await devhost.instances()).map((i) => [i.pid, i.instanceId]));
      add('devhost', processMemoryMb(devhostPid));
      for (const [pid, name] of descendants(devhostPid)) {
        if (labels.has(pid)) add(labels.get(pid)!, processMemoryMb(pid));
        else add(name === 'postgres' ? 'postgres' : `other: ${name}`, processMemoryMb(pid));
      }
      const sorted = [...rows.values()].sort((a, b) => b.pss - a.pss);
      const total = sorted.reduce((t, r) => ({ label: 'total', rss: t.rss + r.rss, pss: t.pss + r.pss }), {
        label: 'total',
        rss: 0,
        pss: 0,
      });
      return [...sorted, total];
    },
    close: () => db.end(),
  };
}

/** Memory rows as Markdown. */
export function memoryTable(rows: readonly MemoryRow[]): string {
  return [
    '| process | PSS MB | RSS MB |',
    '|---|---:|---:|',
    ...rows.map((r) => {
      const label = r.label === 'total' ? '**total**' : r.label;
      return `| ${label} | ${r.pss.toFixed(0)} | ${r.rss.toFixed(0)} |`;
    }),
  ].join('\n');
}

export interface CostReport {
  operations: number;
  seconds: number;
  /** CPU ms per operation by label, largest first. */
  cpuPerOp: [string, number][];
  totalCpuPerOp: number;
  commitsPerOp: number;
  /** Cores busy on average over the phase. */
  coresBusy: number;
}

export function costBetween(before: CostSnapshot, after: CostSnapshot, operations: number): CostReport {
  const per = (n: number) => (operations > 0 ? n / operations : NaN);
  const cpu: [string, number][] = [];
  let total = 0;
  for (const [label, ms] of after.cpuMs) {
    // A process that restarted in between started again from 0: count what it used since.
    const used = ms - (before.cpuMs.get(label) ?? 0);
    const delta = used >= 0 ? used : ms;
    total += delta;
    cpu.push([label, per(delta)]);
  }
  cpu.sort((a, b) => b[1] - a[1]);
  let commits = 0;
  for (const [database, n] of after.commits) commits += n - (before.commits.get(database) ?? 0);
  const seconds = (after.at - before.at) / 1000;
  return {
    operations,
    seconds,
    cpuPerOp: cpu,
    totalCpuPerOp: per(total),
    commitsPerOp: per(commits),
    coresBusy: total / 1000 / seconds,
  };
}

/** The report as Markdown: one row a process, the total first. */
export function costTable(title: string, report: CostReport): string {
  const lines = [
    `${title}: ${report.operations} operations in ${report.seconds.toFixed(1)} s, ${report.coresBusy.toFixed(2)} cores busy`,
    '',
    '| process | CPU ms per operation |',
    '|---|---:|',
    `| **all processes** | **${report.totalCpuPerOp.toFixed(1)}** |`,
    ...report.cpuPerOp.filter(([, ms]) => ms >= 0.05).map(([label, ms]) => `| ${label} | ${ms.toFixed(1)} |`),
    '',
    `commits per operation (all souk databases): ${report.commitsPerOp.toFixed(1)}`,
  ];
  return lines.join('\n');
}
