// Files that other programs read while the devhost runs (devhost.json, endpoints.json, state, clients.json)
// are written beside their final name and renamed over it, so a reader never sees half a file.
import { renameSync, rmSync, writeFileSync } from 'node:fs';
import { rename, rm, writeFile } from 'node:fs/promises';

export interface AtomicWriteOptions {
  /** Mode of the new file (e.g. 0o600 for secrets); the default is 0o666 less the umask. */
  mode?: number;
}

/** Writes `value` as indented JSON; the directory must exist. */
export async function writeJsonAtomic(file: string, value: unknown, options: AtomicWriteOptions = {}): Promise<void> {
  const tmp = tempName(file);
  try {
    await writeFile(tmp, jsonText(value), { mode: options.mode });
    await rename(tmp, file);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}

/** The synchronous form, for writes that must stay in order without a queue (devhost.json on every change). */
export function writeJsonAtomicSync(file: string, value: unknown, options: AtomicWriteOptions = {}): void {
  const tmp = tempName(file);
  try {
    writeFileSync(tmp, jsonText(value), { mode: options.mode });
    renameSync(tmp, file);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
}

/** Ends in .tmp: --fresh knows such leftovers as its own. */
function tempName(file: string): string {
  return `${file}.${process.pid}.tmp`;
}

function jsonText(value: unknown): string {
  return JSON.stringify(value, null, 2) + '\n';
}
