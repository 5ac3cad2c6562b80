// Layout of the data directory (.souk/), the --fresh wipe, the one-devhost-per-directory check,
// and devhost-state.json: the ports chosen earlier, so URLs stay the same across restarts.
import { existsSync, readFileSync } from 'node:fs';
import { chmod, mkdir, readdir, readFile, rm } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { writeJsonAtomic } from './atomic-write.ts';

export interface DataDir {
  root: string;
  secrets: string;
  /** One directory per running instance with only its own secrets, there while it starts (instance-secrets.ts). */
  instanceSecrets: string;
  logs: string;
  postgres: string;
  stateFile: string;
  endpointsFile: string;
  devhostFile: string;
  /** The dev CA, the devhost's client certificate and each instance's certificate. */
  pki: string;
  /** Each service's copy of its settings from the config server (CONFIG_CACHE_FILE), to start from when it is down. */
  settings: string;
}

export function dataDirLayout(root: string): DataDir {
  return {
    root,
    secrets: path.join(root, 'secrets'),
    instanceSecrets: path.join(root, 'run'),
    logs: path.join(root, 'logs'),
    postgres: path.join(root, 'postgres'),
    stateFile: path.join(root, 'devhost-state.json'),
    endpointsFile: path.join(root, 'endpoints.json'),
    devhostFile: path.join(root, 'devhost.json'),
    pki: path.join(root, 'pki'),
    settings: path.join(root, 'settings'),
  };
}

/** Entries a souk data dir may hold; --fresh refuses to wipe a directory with anything else in it. */
const OWN_ENTRIES = new Set([
  'pki',
  'settings',
  'secrets',
  'run',
  'logs',
  'postgres',
  'devhost-state.json',
  'endpoints.json',
  'devhost.json',
]);

export async function wipeDataDir(dir: DataDir): Promise<void> {
  let entries: string[];
  try {
    entries = await readdir(dir.root);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  // A mistyped --data-dir together with --fresh must not delete someone's home directory.
  const foreign = entries.filter((e) => !OWN_ENTRIES.has(e) && !e.endsWith('.tmp'));
  if (foreign.length > 0) {
    throw new Error(
      `--fresh: ${dir.root} holds files the devhost did not create (${foreign.slice(0, 5).join(', ')}); not wiping it`,
    );
  }
  await Promise.all(entries.map((e) => rm(path.join(dir.root, e), { recursive: true, force: true })));
}

/** The pid of a devhost still running on this data dir, if any. */
export function runningDevhost(dir: DataDir): number | undefined {
  let pid: number;
  try {
    pid = (JSON.parse(readFileSync(dir.devhostFile, 'utf8')) as { pid: number }).pid;
  } catch {
    return undefined;
  }
  if (!Number.isInteger(pid) || pid === process.pid || !isAlive(pid)) return undefined;
  // After a reboot the pid may belong to something else; on Linux check it is a devhost.
  const cmdline = `/proc/${pid}/cmdline`;
  if (existsSync(cmdline) && !readFileSync(cmdline, 'utf8').includes('devhost')) return undefined;
  return pid;
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export interface PersistentState {
  postgresPort?: number;
  /** Port per instance id, e.g. { "catalog-2": 41234 }. */
  instancePorts: Record<string, number>;
}

export async function loadState(dir: DataDir): Promise<PersistentState> {
  try {
    const raw = JSON.parse(await readFile(dir.stateFile, 'utf8')) as Partial<PersistentState>;
    return { postgresPort: raw.postgresPort, instancePorts: { ...(raw.instancePorts ?? {}) } };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' || err instanceof SyntaxError) return { instancePorts: {} };
    throw err;
  }
}

export async function saveState(dir: DataDir, state: PersistentState): Promise<void> {
  await writeJsonAtomic(dir.stateFile, state);
}

/** Creates `dir` (and its parents) and makes it 0700, also when it exists already with a looser mode. */
export async function ensurePrivateDir(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await chmod(dir, 0o700); // mkdir's mode is masked by umask and ignored for an existing dir
}

export function isPortFree(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen({ port, host, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

export function anyFreePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen({ port: 0, host, exclusive: true }, () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** The remembered port when it is still free, else a new free one not in `taken`. */
export async function stablePort(remembered: number | undefined, taken: ReadonlySet<number>): Promise<number> {
  if (remembered !== undefined && !taken.has(remembered) && (await isPortFree(remembered))) return remembered;
  for (;;) {
    const port = await anyFreePort();
    if (!taken.has(port)) return port;
  }
}
