// Gateway benchmark: the same small JSON endpoint measured directly, through
// nginx (when installed) and through the gateway, in one run, so the ratios
// are comparable across changes. Run with `npm run bench` or
// `npx tsx bench/gateway/main.ts` from anywhere in the repository.

import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import autocannon, { type Result } from 'autocannon';
import { findNginx, startNginx } from './nginx.ts';
import { positive } from '../settings.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const UPSTREAM_ENTRY = fileURLToPath(new URL('./upstream.ts', import.meta.url));
const GATEWAY_ENTRY = fileURLToPath(new URL('../../platform/gateway/src/main.ts', import.meta.url));

const DURATION_S = positive('BENCH_DURATION_S', 5);
const WARMUP_S = positive('BENCH_WARMUP_S', 2);
const CONNECTIONS = positive('BENCH_CONNECTIONS', 50);
/** One nginx worker by default: the gateway is one Node process, so this compares like with like. */
const NGINX_WORKERS = positive('BENCH_NGINX_WORKERS', 1);
const READY_DEADLINE_MS = 30_000;
const MAX_FAILED_SHARE = 0.0001;
/** A catalog read: public, so the figures leave token checks out (they have their own cost). */
const PATH = '/api/v1/catalog/products/p-1?fields=name,price';

function log(line: string): void {
  process.stdout.write(`${line}\n`);
}

/** A port nothing listens on right now (the OS picks it; the child binds it a moment later). */
async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

const children: ChildProcess[] = [];
let stopping = false;

function watch(name: string, child: ChildProcess): ChildProcess {
  child.stderr?.on('data', (chunk: Buffer) => process.stderr.write(`[${name}] ${chunk.toString()}`));
  child.once('exit', (code, signal) => {
    if (!stopping) {
      log(`${name} exited early (code ${code}, signal ${signal})`);
      process.exitCode = 1;
    }
  });
  children.push(child);
  return child;
}

function startNode(name: string, entry: string, env: Record<string, string>): ChildProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', entry], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  return watch(name, child);
}

/** Polls `url` until it answers 200, or fails at the deadline. */
async function waitUntilUp(url: string): Promise<void> {
  const deadline = Date.now() + READY_DEADLINE_MS;
  for (let delay = 50; ; delay = Math.min(delay * 2, 500)) {
    try {
      const res = await fetch(url);
      await res.arrayBuffer();
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`${url} not up within ${READY_DEADLINE_MS} ms`);
    await new Promise((r) => setTimeout(r, delay));
  }
}

async function load(label: string, url: string, seconds: number): Promise<Result> {
  let completed = 0;
  const instance = autocannon({ url, connections: CONNECTIONS, duration: seconds, pipelining: 1 });
  instance.on('response', () => void completed++);
  let elapsed = 0;
  const progress = setInterval(() => {
    elapsed++;
    log(`  ${label}: ${elapsed}/${seconds} s, ${completed} requests`);
  }, 1000);
  try {
    return await instance;
  } finally {
    clearInterval(progress);
  }
}

async function measure(label: string, url: string): Promise<Result> {
  log(`${label}: warm-up ${WARMUP_S} s`);
  await load(`${label} (warm-up)`, url, WARMUP_S);
  log(`${label}: measuring ${DURATION_S} s with ${CONNECTIONS} connections`);
  const result = await load(label, url, DURATION_S);
  const failed = result.errors + result.timeouts + result.non2xx;
  // A connection cut while autocannon stops can count as an error; more than that means the figures are wrong.
  if (result.non2xx > 0 || failed > result.requests.total * MAX_FAILED_SHARE) {
    throw new Error(`${label}: ${result.errors} errors, ${result.timeouts} timeouts, ${result.non2xx} non-2xx answers`);
  }
  if (failed > 0) log(`  ${label}: ${failed} failed request(s) out of ${result.requests.total}, ignored`);
  return result;
}

const COLUMNS = ['req/s', 'mean ms', 'p50 ms', 'p99 ms'];
const values = (r: Result) => [r.requests.average, r.latency.average, r.latency.p50, r.latency.p99];
const line = (name: string, cells: string[]) => `| ${name.padEnd(24)} | ${cells.map((c) => c.padStart(8)).join(' | ')} |`;
// autocannon records latency in whole milliseconds: a 0 ms p50 has no meaningful ratio.
const ratio = (a: number, b: number) => (b > 0 ? `${(a / b).toFixed(2)}x` : 'n/a');

function table(rows: Array<[string, Result]>, ratios: Array<[string, Result, Result]>): string {
  return [
    line('target', COLUMNS),
    `|${'-'.repeat(26)}|${COLUMNS.map(() => '-'.repeat(10)).join('|')}|`,
    ...rows.map(([name, r]) =>
      line(
        name,
        values(r).map((v, i) => (i === 0 ? Math.round(v).toString() : v.toFixed(2))),
      ),
    ),
    ...ratios.map(([name, a, b]) =>
      line(
        name,
        values(a).map((v, i) => ratio(v, values(b)[i]!)),
      ),
    ),
  ].join('\n');
}

async function stopChildren(): Promise<void> {
  stopping = true;
  await Promise.all(
    children.map(
      (child) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve();
          child.once('exit', () => resolve());
          child.kill('SIGTERM');
        }),
    ),
  );
}

async function main(): Promise<void> {
  const nginx = findNginx(process.env);
  log(
    `gateway benchmark: node ${process.version}, ${cpus().length} CPUs, ${CONNECTIONS} connections, ${DURATION_S} s per target`,
  );
  // Everything runs on this machine: other load skews the figures, so say how busy it was.
  log(
    `load average before the run: ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
  const [upstreamPort, gatewayPort, nginxPort] = [await freePort(), await freePort(), await freePort()];
  const upstream = `http://127.0.0.1:${upstreamPort}`;
  const gateway = `http://127.0.0.1:${gatewayPort}`;
  const viaNginx = `http://127.0.0.1:${nginxPort}`;

  log(`starting the upstream on ${upstream} and the gateway on ${gateway}`);
  startNode('upstream', UPSTREAM_ENTRY, { PORT: String(upstreamPort) });
  startNode('gateway', GATEWAY_ENTRY, {
    PORT: String(gatewayPort),
    HOST: '127.0.0.1',
    STATIC_SERVICES: `catalog=${upstream}`,
    LOG_LEVEL: 'warn',
    INSTANCE_ID: 'gateway-bench',
  });
  if (nginx) {
    log(`starting nginx (${NGINX_WORKERS} worker) on ${viaNginx}`);
    watch('nginx', startNginx(nginx, { port: nginxPort, upstream, workers: NGINX_WORKERS }));
  } else {
    log('nginx not found (set BENCH_NGINX to its path): measuring without it');
  }
  await waitUntilUp(`${upstream}${PATH}`);
  await waitUntilUp(`${gateway}${PATH}`);
  if (nginx) await waitUntilUp(`${viaNginx}${PATH}`);

  const direct = await measure('upstream direct', `${upstream}${PATH}`);
  const proxied = nginx ? await measure('through nginx', `${viaNginx}${PATH}`) : undefined;
  const through = await measure('through the gateway', `${gateway}${PATH}`);
  log('');
  log(`GET ${PATH}`);
  log(
    table(
      [
        ['upstream direct', direct],
        ...(proxied ? [['through nginx', proxied] as [string, Result]] : []),
        ['through the gateway', through],
      ],
      [
        ['gateway / direct', through, direct],
        ...(proxied ? [['gateway / nginx', through, proxied] as [string, Result, Result]] : []),
      ],
    ),
  );
}

main()
  .catch((err: unknown) => {
    process.stderr.write(`bench failed: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  })
  .finally(() => stopChildren());
