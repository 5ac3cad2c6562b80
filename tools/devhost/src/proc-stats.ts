// What the devhost's processes cost, read from /proc (Linux): the process tree
// below a pid, each process's CPU time, and its memory (PSS shares a shared page among its
// users, so the sum over processes is what they take together; RSS counts a
// shared page in every process that maps it). Elsewhere the readings are empty.

import { readFileSync, readdirSync } from 'node:fs';

const TICKS_PER_SECOND = 100; // USER_HZ: getconf CLK_TCK is 100 on Linux x86-64 and arm64

/** Every process on the machine: pid → parent pid and command name (empty without /proc). */
function processTable(): Map<number, { ppid: number; name: string }> {
  const table = new Map<number, { ppid: number; name: string }>();
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return table;
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // The command name (field 2) may hold spaces and parentheses: count from the last ')'.
      const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      table.set(Number(entry), { ppid, name });
    } catch {
      // gone meanwhile
    }
  }
  return table;
}

/** The processes below `root` (children, grandchildren, …) with their command names. */
export function descendants(root: number): Map<number, string> {
  const table = processTable();
  const below = new Map<number, string>();
  for (const [pid, { name }] of table) {
    for (let p = table.get(pid)?.ppid; p !== undefined && p > 1; p = table.get(p)?.ppid) {
      if (p !== root) continue;
      below.set(pid, name);
      break;
    }
  }
  return below;
}

/** The pids of processes with this command name (e.g. a local `nats-server`). */
export function processesNamed(name: string): number[] {
  return [...processTable()].filter(([, p]) => p.name === name).map(([pid]) => pid);
}

/** CPU time (utime + stime) of a process in ms, or undefined once it is gone. */
export function processCpuMs(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SECOND;
  } catch {
    return undefined;
  }
}

export interface Memory {
  rssMb: number;
  pssMb: number;
}

/** Resident and proportional set size of a process, or undefined once it is gone (or without /proc). */
export function processMemory(pid: number): Memory | undefined {
  try {
    const rollup = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
    const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(rollup)?.[1] ?? 0);
    return { rssMb: kb('Rss') / 1024, pssMb: kb('Pss') / 1024 };
  } catch {
    return undefined;
  }
}

/** The memory of `root` and every process below it, summed, with how many were read. */
export function treeMemory(root: number): Memory & { processes: number } {
  const total = { rssMb: 0, pssMb: 0, processes: 0 };
  for (const pid of [root, ...descendants(root).keys()]) {
    const m = processMemory(pid);
    if (!m) continue;
    total.rssMb += m.rssMb;
    total.pssMb += m.pssMb;
    total.processes++;
  }
  return total;
}
