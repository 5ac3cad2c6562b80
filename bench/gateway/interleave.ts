// Interleaved A/B of gateway builds: one upstream, every gateway running at
// once, short bursts against each in turn (order reversed every round), the
// gateway's CPU per request read from /proc. On a shared machine the load
// moves between bursts, not within one pair of them, so this resolves
// differences that `npm run bench:gateway` run twice cannot.
//
//   npx tsx bench/gateway/interleave.ts <main.ts>[?PATH=/api/v1/cart] <main.ts>...
//
// Each argument is a gateway entry (another checkout's platform/gateway/src/main.ts,
// or a stripped-down proxy taking the same environment), optionally with the
// path to load it on. BENCH_ROUNDS (6), BENCH_BURST_S (2), BENCH_CONNECTIONS (50).

import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { processCpuMs } from '../../tools/devhost/src/proc-stats.ts';
import { positive } from '../settings.ts';
import { gatewayEnv, signedToken } from './identity-stand-in.ts';

const UPSTREAM_ENTRY = fileURLToPath(new URL('./upstream.ts', import.meta.url));
const DEFAULT_PATH = '/api/v1/cart';

interface Gateway {
  label: string;
  path: string;
  port: number;
  child: ChildProcess;
  cpuMs: number[];
  requests: number[];
}

const rounds = positive('BENCH_ROUNDS', 6);
const burstSeconds = positive('BENCH_BURST_S', 2);
const connections = positive('BENCH_CONNECTIONS', 50);
const specs = process.argv.slice(2);
if (specs.length === 0) throw new Error('usage: interleave.ts <gateway main.ts>[?PATH=/api/...] ...');

const { jwks, token } = await signedToken();
const headers = { authorization: `Bearer ${token}` };

const children: ChildProcess[] = [];
function start(entry: string, env: Record<string, string>): ChildProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', entry], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  children.push(child);
  return child;
}

const base = 40_000 + Math.floor(Math.random() * 10_000);
const upstream = `http://127.0.0.1:${base}`;
start(UPSTREAM_ENTRY, { PORT: String(base), BENCH_JWKS: jwks });
const setup = gatewayEnv(upstream, { OTEL_TRACES_SAMPLER_ARG: '0.1' });
const gateways: Gateway[] = specs.map((spec, i) => {
  const [entry = '', query = ''] = spec.split('?');
  const path = new URLSearchParams(query).get('PATH') ?? DEFAULT_PATH;
  const port = base + 1 + i;
  // As bench/gateway/main.ts runs it: the devhost's tracing and metrics, request lines at debug.
  const child = start(entry, { ...setup.env, PORT: String(port), INSTANCE_ID: `gateway-${i}` });
  return { label: `${i}: ${spec}`, path, port, child, cpuMs: [], requests: [] };
});

const load = (g: Gateway, seconds: number) =>
  autocannon({ url: `http://127.0.0.1:${g.port}${g.path}`, connections, duration: seconds, headers });

try {
  for (const g of gateways) {
    const deadline = Date.now() + 30_000;
    for (;;) {
      const ok = await fetch(`http://127.0.0.1:${g.port}${g.path}`, { headers }).then(
        async (r) => (await r.arrayBuffer(), r.ok),
        () => false,
      );
      if (ok) break;
      if (Date.now() > deadline) throw new Error(`${g.label} not up within 30 s`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    await load(g, 2); // warm-up
  }
  for (let round = 0; round < rounds; round++) {
    for (const g of round % 2 === 0 ? gateways : [...gateways].reverse()) {
      const before = processCpuMs(g.child.pid!) ?? 0;
      const result = await load(g, burstSeconds);
      g.cpuMs.push((processCpuMs(g.child.pid!) ?? 0) - before);
      g.requests.push(result.requests.total);
      if (result.non2xx > 0) throw new Error(`${g.label}: ${result.non2xx} non-2xx answers`);
    }
  }
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
  for (const g of gateways) {
    const perRound = g.cpuMs.map((ms, i) => (ms * 1000) / g.requests[i]!);
    const overall = (g.cpuMs.reduce((a, b) => a + b, 0) * 1000) / g.requests.reduce((a, b) => a + b, 0);
    const rates = g.requests.map((n) => n / burstSeconds);
    process.stdout.write(
      `${g.label}\n  ${overall.toFixed(1)} µs CPU/request overall, median ${median(perRound).toFixed(1)}; ` +
        `median ${Math.round(median(rates))} req/s; per round ${perRound.map((v) => v.toFixed(0)).join(' ')}\n`,
    );
  }
} finally {
  for (const child of children) child.kill('SIGTERM');
  setup.cleanup();
}
