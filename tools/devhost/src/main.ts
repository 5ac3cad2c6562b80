// `npm start`: runs the whole souk system on this machine (see USAGE in args.ts).
// Wiring only: flags, data directory, terminal output, signals and exit codes.
import { fileURLToPath } from 'node:url';
import { ArgsError, USAGE, parseOptions } from './args.ts';
import { dataDirLayout, ensurePrivateDir, runningDevhost, wipeDataDir } from './data-dir.ts';
import { Devhost } from './devhost.ts';
import { LogOutput, useColor } from './log-output.ts';
import { hasParentDeathSignal } from './orphans.ts';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url)).replace(/\/$/, '');

let options;
try {
  options = parseOptions(process.argv.slice(2), repoRoot);
} catch (err) {
  if (!(err instanceof ArgsError)) throw err;
  process.stderr.write(`devhost: ${err.message}\n\n${USAGE}\n`);
  process.exit(2);
}
if (options.help) {
  process.stdout.write(USAGE + '\n');
  process.exit(0);
}

const dir = dataDirLayout(options.dataDir);
const other = runningDevhost(dir);
if (other !== undefined) {
  process.stderr.write(`devhost: another devhost (pid ${other}) is running on ${dir.root}; stop it first\n`);
  process.exit(1);
}
try {
  if (options.fresh) await wipeDataDir(dir);
  // 0700, also for a logs dir an older devhost made 0755: service output can hold tokens.
  await ensurePrivateDir(dir.logs);
} catch (err) {
  process.stderr.write(`devhost: ${(err as Error).message}\n`);
  process.exit(1);
}

const out = new LogOutput({
  out: process.stdout,
  color: useColor(process.stdout, process.env),
  json: options.jsonLogs,
  logsDir: dir.logs,
  names: [...Devhost.instanceNames(options), 'postgres'],
});
if (options.fresh) out.info(`--fresh: wiped ${dir.root}`);
if (!hasParentDeathSignal()) out.warn('setpriv not found: if the devhost is killed hard, its child processes keep running');

const devhost = new Devhost(options, dir, out);
/**
 * One Ctrl-C can arrive several times: the terminal signals the whole foreground group, and npm and the
 * tsx CLI each relay it again. Only a signal well after the first one means "force".
 */
const SAME_SIGNAL_WINDOW_MS = 1_000;
let firstSignalAt: number | undefined;
const onSignal = (signal: NodeJS.Signals): void => {
  const now = performance.now();
  if (firstSignalAt === undefined) {
    firstSignalAt = now;
    out.info(`${signal}: stopping everything (press Ctrl-C again to force)`);
    void shutdown(0);
  } else if (now - firstSignalAt > SAME_SIGNAL_WINDOW_MS) {
    out.warn(`${signal} again: killing every process now`);
    devhost.kill();
    process.exit(130);
  }
};
process.on('SIGINT', onSignal);
process.on('SIGTERM', onSignal);
process.on('SIGHUP', onSignal);

async function shutdown(code: number): Promise<void> {
  try {
    await devhost.stop();
  } catch (err) {
    out.error(`shutdown failed: ${(err as Error).stack ?? String(err)}`);
    code = 1;
  }
  await out.close();
  process.exit(code);
}

try {
  await devhost.start();
} catch (err) {
  out.error(`start-up failed: ${(err as Error).message}`);
  if (process.env.DEBUG) out.error((err as Error).stack ?? '');
  await shutdown(1);
}
