// Children must not outlive a devhost that is killed hard (kill -9, crash): on Linux each child is
// started through util-linux `setpriv --pdeathsig`, so the kernel signals it when the devhost dies.
import { accessSync, constants } from 'node:fs';
import path from 'node:path';

let setprivPath: string | null | undefined;

function findSetpriv(): string | null {
  if (setprivPath !== undefined) return setprivPath;
  setprivPath = null;
  if (process.platform === 'linux') {
    for (const dir of (process.env.PATH ?? '/usr/bin:/bin').split(path.delimiter)) {
      const candidate = path.join(dir, 'setpriv');
      try {
        accessSync(candidate, constants.X_OK);
        setprivPath = candidate;
        break;
      } catch {
        // not here
      }
    }
  }
  return setprivPath;
}

/**
 * Wraps a command so it receives `signal` when its parent (this process) dies. setpriv execs the command,
 * so the pid stays the command's own. Without setpriv the command runs as is: its process group is
 * still stopped on every orderly exit, only a hard kill of the devhost could leave it behind.
 */
export function withParentDeathSignal(command: string, args: readonly string[], signal: NodeJS.Signals): [string, string[]] {
  const setpriv = findSetpriv();
  if (!setpriv) return [command, [...args]];
  return [setpriv, ['--pdeathsig', signal.replace(/^SIG/, ''), '--', command, ...args]];
}

export function hasParentDeathSignal(): boolean {
  return findSetpriv() !== null;
}
