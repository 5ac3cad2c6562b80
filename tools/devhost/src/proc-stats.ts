// What the devhost's processes cost, read from /proc (Linux): the process tree
// below a pid, and each process's memory (PSS shares a shared page among its
// users, so the sum over processes is what they take together; RSS counts a
// shared page in every process that maps it). Elsewhere the readings are empty.

import { readFileSync, readdirSync } from 'node:fs';

/** The processes below `root` (children, grandchildren, …) with their command names. */
export function descendants(root: number): Map<number, string> {
  const parent = new Map<number, number>();
  const names = new Map<number, string>();
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return new Map();
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // The command name (field 2) may hold spaces and parentheses: count from the last ')'.
      const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      parent.set(Number(entry), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
      names.set(Number(entry), name);
    } catch {
      // gone meanwhile
    }
  }
  const below = new Map<number, string>();
  for (const pid of parent.keys()) {
    for (let p = parent.get(pid); p !== undefined && p > 1; p = parent.get(p)) {
      if (p !== root) continue;
      below.set(pid, names.get(pid) ?? '?');
      break;
    }
  }
  return below;
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
