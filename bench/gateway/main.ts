// Gateway benchmark: the same small JSON endpoint measured directly, through
// nginx (when installed) and through the gateway, in one run, so the ratios
// are comparable across changes, with the CPU per request of each process.
// Run with `npm run bench:gateway` (or `npx tsx bench/gateway/main.ts`) from
// anywhere in the repository; `npm run bench` runs it with the others.

import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import autocannon, { type Result } from 'autocannon';
import { DEFAULT_TRACE_RATIO } from '../../tools/devhost/src/services.ts';
import { gatewayEnv, signedToken } from './identity-stand-in.ts';
import { findNginx, startNginx } from './nginx.ts';
import { costBetween, costProbe, descendants, type CostReport } from '../cost.ts';
import { isMain, log, runStandalone, type BenchResult } from '../report.ts';
import { positive } from '../settings.ts';
import { rmSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ensureDevCa, issueCertificate, writeTlsFiles, type TlsPaths } from '../../tools/devhost/src/pki.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const UPSTREAM_ENTRY = fileURLToPath(new URL('./upstream.ts', import.meta.url));
/** BENCH_GATEWAY_ENTRY runs another checkout's gateway under the same load, for a before/after in one minute. */
const GATEWAY_ENTRY =
  process.env.BENCH_GATEWAY_ENTRY ?? fileURLToPath(new URL('../../platform/gateway/src/main.ts', import.meta.url));

export interface GatewaySettings {
  durationSeconds: number;
  warmupSeconds: number;
  connections: number;
  /** One nginx worker by default: the gateway is one Node process, so this compares like with like. */
  nginxWorkers: number;
}

export const gatewaySettings = (): GatewaySettings => ({
  durationSeconds: positive('BENCH_DURATION_S', 5),
  warmupSeconds: positive('BENCH_WARMUP_S', 2),
  connections: positive('BENCH_CONNECTIONS', 50),
  nginxWorkers: positive('BENCH_NGINX_WORKERS', 1),
});

export const GATEWAY_SMOKE: GatewaySettings = { durationSeconds: 1, warmupSeconds: 1, connections: 10, nginxWorkers: 1 };

const READY_DEADLINE_MS = 30_000;
const MAX_FAILED_SHARE = 0.0001;
/** A catalog read: public, so the figures leave token checks out (they have their own cost). */
const PATH = '/api/v1/catalog/products/p-1?fields=name,price';
/** A cart read: the gateway lets it through only with a valid token (signed ES256, checked against the JWKS). */
const AUTH_PATH = '/api/v1/cart';

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

/** The processes of one run: started, watched (an early exit fails the run) and stopped together. */
class Children {
  readonly list: { name: string; child: ChildProcess }[] = [];
  private stopping = false;
  private readonly cleanups: (() => void)[] = [];
  /** Set when a child exited before stop(). */
  early: string | undefined;

  watch(name: string, child: ChildProcess): ChildProcess {
    child.stderr?.on('data', (chunk: Buffer) => process.stderr.write(`[${name}] ${chunk.toString()}`));
    child.once('exit', (code, signal) => {
      if (!this.stopping) this.early ??= `${name} exited early (code ${code}, signal ${signal})`;
    });
    this.list.push({ name, child });
    return child;
  }

  startNode(name: string, entry: string, env: Record<string, string>, nodeArgs: string[] = []): ChildProcess {
    const child = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', entry], {
      cwd: ROOT,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    return this.watch(name, child);
  }

  /** Each child and its descendants (nginx's workers), by the child's name. */
  processes(): Map<number, string> {
    const all = new Map<number, string>();
    for (const { name, child } of this.list) {
      if (child.pid === undefined) continue;
      all.set(child.pid, name);
      for (const [pid] of descendants(child.pid)) all.set(pid, name);
    }
    return all;
  }

  /** Runs after every child has stopped. */
  onStop(cleanup: () => void): void {
    this.cleanups.push(cleanup);
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await Promise.all(
      this.list.map(
        ({ child }) =>
          new Promise<void>((resolve) => {
            if (child.exitCode !== null || child.signalCode !== null) return resolve();
            child.once('exit', () => resolve());
            child.kill('SIGTERM');
          }),
      ),
    );
    for (const cleanup of this.cleanups) cleanup();
  }
}

/**
 * Node flags for the gateway only (BENCH_GATEWAY_NODE_ARGS, space-separated): `--cpu-prof --cpu-prof-dir=DIR`
 * writes a profile of the whole run when it stops; `--perf-basic-prof` names JavaScript frames for `perf record`.
 */
function gatewayNodeArgs(value: string | undefined): string[] {
  return value ? value.split(' ').filter(Boolean) : [];
}

async function load(
  label: string,
  url: string,
  seconds: number,
  connections: number,
  headers: Record<string, string> = {},
): Promise<Result> {
  let completed = 0;
  const instance = autocannon({ url, connections, duration: seconds, pipelining: 1, headers });
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

interface Measured {
  result: Result;
  cost: CostReport;
}

async function measure(
  label: string,
  url: string,
  settings: GatewaySettings,
  children: Children,
  headers: Record<string, string> = {},
): Promise<Measured> {
  log(`${label}: warm-up ${settings.warmupSeconds} s`);
  await load(`${label} (warm-up)`, url, settings.warmupSeconds, settings.connections, headers);
  log(`${label}: measuring ${settings.durationSeconds} s with ${settings.connections} connections`);
  const probe = await costProbe({ processes: async () => children.processes() });
  const before = await probe.snapshot();
  const result = await load(label, url, settings.durationSeconds, settings.connections, headers);
  const cost = costBetween(before, await probe.snapshot(), result.requests.total);
  await probe.close();
  if (children.early) throw new Error(children.early);
  const failed = result.errors + result.timeouts + result.non2xx;
  // A connection cut while autocannon stops can count as an error; more than that means the figures are wrong.
  if (result.non2xx > 0 || failed > result.requests.total * MAX_FAILED_SHARE) {
    throw new Error(`${label}: ${result.errors} errors, ${result.timeouts} timeouts, ${result.non2xx} non-2xx answers`);
  }
  if (failed > 0) log(`  ${label}: ${failed} failed request(s) out of ${result.requests.total}, ignored`);
  return { result, cost };
}

const values = (r: Result) => [r.requests.average, r.latency.average, r.latency.p50, r.latency.p99];
// autocannon records latency in whole milliseconds: a 0 ms p50 has no meaningful ratio.
const ratio = (a: number, b: number) => (b > 0 ? a / b : null);
const cpuOf = (m: Measured, name: string) => m.cost.cpuPerOp.find(([label]) => label === name)?.[1] ?? 0;

/**
 * A CA and two certificates in a temporary folder: the gateway's, and the upstream's. The upstream stands in
 * for identity, catalog and cart at one address; the gateway checks an origin against the first of those its
 * route table names (identity), so that is the name in the upstream's certificate.
 */
async function benchCertificates(): Promise<{ gateway: TlsPaths; upstream: TlsPaths }> {
  const dir = await mkdtemp(path.join(tmpdir(), 'souk-bench-pki-'));
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  const ca = await ensureDevCa(path.join(dir, 'ca'));
  const lifetimeMs = 3600_000;
  return {
    gateway: await writeTlsFiles(
      path.join(dir, 'gateway'),
      ca,
      await issueCertificate(ca, { service: 'gateway', instanceId: 'gateway-bench', lifetimeMs }),
    ),
    upstream: await writeTlsFiles(
      path.join(dir, 'upstream'),
      ca,
      await issueCertificate(ca, { service: 'identity', instanceId: 'upstream-bench', lifetimeMs }),
    ),
  };
}

export async function gatewayBench(settings: GatewaySettings = gatewaySettings()): Promise<BenchResult> {
  const started = performance.now();
  const nginx = findNginx(process.env);
  const children = new Children();
  try {
    const [upstreamPort, gatewayPort, nginxPort] = [await freePort(), await freePort(), await freePort()];
    const upstream = `http://127.0.0.1:${upstreamPort}`;
    // As the devhost runs it: the gateway reaches the upstream by mutual TLS (BENCH_GATEWAY_MTLS=0: plain HTTP).
    // nginx and the direct run use the plain port.
    const mtls = process.env.BENCH_GATEWAY_MTLS !== '0' ? await benchCertificates() : undefined;
    // Picked before anything binds, and distinct from the others (freePort alone may hand out nginx's again).
    let upstreamPortTls = 0;
    while (mtls && [0, upstreamPort, gatewayPort, nginxPort].includes(upstreamPortTls)) upstreamPortTls = await freePort();
    const gatewayUpstream = mtls ? `https://127.0.0.1:${upstreamPortTls}` : upstream;
    const gateway = `http://127.0.0.1:${gatewayPort}`;
    const viaNginx = `http://127.0.0.1:${nginxPort}`;

    log(`gateway: starting the upstream on ${upstream} and the gateway on ${gateway}`);
    const { jwks, token } = await signedToken();
    children.startNode('upstream', UPSTREAM_ENTRY, {
      PORT: String(upstreamPort),
      BENCH_JWKS: jwks,
      ...(mtls
        ? {
            BENCH_TLS_PORT: String(upstreamPortTls),
            BENCH_TLS_CERT_FILE: mtls.upstream.certFile,
            BENCH_TLS_KEY_FILE: mtls.upstream.keyFile,
            BENCH_TLS_CA_FILE: mtls.upstream.caFile,
          }
        : {}),
    });
    if (mtls) log(`gateway: the gateway reaches the upstream by mutual TLS at ${gatewayUpstream}`);
    // As the devhost runs it: metrics on, one trace in ten recorded (no exporter), request lines at debug.
    const gatewaySetup = gatewayEnv(gatewayUpstream, {
      PORT: String(gatewayPort),
      INSTANCE_ID: 'gateway-bench',
      OTEL_TRACES_SAMPLER_ARG: String(DEFAULT_TRACE_RATIO),
      ...(mtls
        ? { TLS_CERT_FILE: mtls.gateway.certFile, TLS_KEY_FILE: mtls.gateway.keyFile, TLS_CA_FILE: mtls.gateway.caFile }
        : {}),
    });
    children.onStop(gatewaySetup.cleanup);
    children.startNode('gateway', GATEWAY_ENTRY, gatewaySetup.env, gatewayNodeArgs(process.env.BENCH_GATEWAY_NODE_ARGS));
    if (nginx) {
      log(`gateway: starting nginx (${settings.nginxWorkers} worker) on ${viaNginx}`);
      children.watch('nginx', startNginx(nginx, { port: nginxPort, upstream, workers: settings.nginxWorkers }));
    } else {
      log('gateway: nginx not found (set BENCH_NGINX to its path): measuring without it');
    }
    await waitUntilUp(`${upstream}${PATH}`);
    await waitUntilUp(`${gateway}${PATH}`);
    if (nginx) await waitUntilUp(`${viaNginx}${PATH}`);

    const direct = await measure('upstream direct', `${upstream}${PATH}`, settings, children);
    const proxied = nginx ? await measure('through nginx', `${viaNginx}${PATH}`, settings, children) : undefined;
    const through = await measure('through the gateway', `${gateway}${PATH}`, settings, children);
    const authed = await measure('through the gateway, with a JWT', `${gateway}${AUTH_PATH}`, settings, children, {
      authorization: `Bearer ${token}`,
    });
    const targets: [string, Measured][] = [
      ['upstream direct', direct],
      ...(proxied ? [['through nginx', proxied] as [string, Measured]] : []),
      ['through the gateway', through],
      ['through the gateway, with a JWT', authed],
    ];
    const ratios: [string, Measured, Measured][] = [
      ['gateway / direct', through, direct],
      ...(proxied
        ? [
            ['gateway / nginx', through, proxied] as [string, Measured, Measured],
            ['gateway with a JWT / nginx', authed, proxied] as [string, Measured, Measured],
          ]
        : []),
    ];
    const proxies = ['upstream', ...(nginx ? ['nginx'] : []), 'gateway'];
    return {
      name: 'gateway',
      title: `GET ${PATH} direct${nginx ? ', through nginx' : ''} and through the gateway, and GET ${AUTH_PATH} with a JWT through it`,
      settings: {
        BENCH_DURATION_S: settings.durationSeconds,
        BENCH_WARMUP_S: settings.warmupSeconds,
        BENCH_CONNECTIONS: settings.connections,
        BENCH_NGINX_WORKERS: settings.nginxWorkers,
        nginx: nginx ?? 'not installed',
      },
      seconds: (performance.now() - started) / 1000,
      tables: [
        {
          title: 'target',
          columns: [
            { name: 'throughput', unit: 'req/s' },
            { name: 'mean', unit: 'ms' },
            { name: 'p50', unit: 'ms' },
            { name: 'p99', unit: 'ms' },
          ],
          rows: [
            ...targets.map(([name, m]) => ({ name, values: values(m.result) })),
            ...ratios.map(([name, a, b]) => ({
              name: `${name} (x)`,
              values: values(a.result).map((v, i) => ratio(v, values(b.result)[i]!)),
            })),
          ],
        },
        {
          title: 'CPU per request, by process',
          columns: proxies.map((p) => ({ name: p, unit: 'µs' })),
          rows: targets.map(([name, m]) => ({ name, values: proxies.map((p) => cpuOf(m, p) * 1000) })),
        },
      ],
      notes: [
        'autocannon (the load) runs in the bench process on the same cores; latencies are whole milliseconds',
        'CPU per request: OS CPU time of each process over the measured seconds divided by the requests completed; the gateway is one Node process, nginx has its workers',
        'the gateway runs as in the devhost: metrics on, parent-based sampling at 10 % (no exporter), request lines at debug, rate limiting on (every request counted against a limit no run reaches, in memory); the JWT run sends one ES256 token, checked and exchanged once (the upstream stands in for identity) and then found in the verified-token and exchange caches',
      ],
    };
  } finally {
    await children.stop();
  }
}

if (isMain(import.meta.url)) await runStandalone(() => gatewayBench());
