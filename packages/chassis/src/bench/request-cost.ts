// The CPU one chassis request costs the server, in one process on a real
// socket: a POST shaped like the cart's add (bearer token through the
// verified-token cache, a JSON body checked against its schema, an answer
// serialised from its schema), served by the chassis' app (createApp: the
// instrumented server, the hooks, problem+json) or by a bare Fastify app with
// the same route, so the difference is what the chassis adds per request.
// `--db` adds one parameterised statement per request through the chassis'
// Kysely (DATABASE_URL, default the local test server).
//
//   node --import tsx packages/chassis/src/bench/request-cost.ts [--bare] [--db] [--requests N] [--rounds N]
//
// The server runs in a child process, so its CPU (process.cpuUsage, reported
// after each round) excludes the load generator's.

import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { parseArgs } from 'node:util';
import { Pool } from 'undici';

const { values: args } = parseArgs({
  options: {
    bare: { type: 'boolean', default: false },
    db: { type: 'boolean', default: false },
    requests: { type: 'string', default: '20000' },
    rounds: { type: 'string', default: '3' },
    connections: { type: 'string', default: '10' },
    serve: { type: 'boolean', default: false },
  },
});

interface Ready {
  url: string;
  token: string;
}

if (args.serve) {
  const { serve } = await import('./request-cost-server.ts');
  const ready = await serve({ bare: args.bare, db: args.db });
  process.send!({ ready });
  process.on('message', (msg: { cpu?: true; exit?: true }) => {
    if (msg.exit) process.exit(0);
    if (msg.cpu) process.send!({ cpu: process.cpuUsage() });
  });
} else {
  const child = fork(
    new URL(import.meta.url).pathname,
    ['--serve', ...(args.bare ? ['--bare'] : []), ...(args.db ? ['--db'] : [])],
    {
      execArgv: ['--import', 'tsx', ...process.execArgv.filter((a) => a.startsWith('--cpu-prof'))],
    },
  );
  const { ready } = (await next(child, 'ready')) as { ready: Ready };
  const pool = new Pool(ready.url, { connections: Number(args.connections), pipelining: 1 });
  const body = JSON.stringify({ productId: '3f2b8c1e-5d4a-4b6f-9e21-7c0d8a9b1f35', quantity: 1 });
  const headers = { authorization: `Bearer ${ready.token}`, 'content-type': 'application/json' };
  const drive = async (total: number) => {
    let sent = 0;
    let failed = 0;
    await Promise.all(
      Array.from({ length: Number(args.connections) }, async () => {
        while (sent < total) {
          sent++;
          const res = await pool.request({ method: 'POST', path: '/api/v1/cart/items', headers, body });
          await res.body.dump();
          if (res.statusCode !== 200) failed++;
        }
      }),
    );
    if (failed > 0) throw new Error(`${failed} requests failed`);
  };
  const cpu = async () => ((await next(child, 'cpu', { cpu: true })) as { cpu: NodeJS.CpuUsage }).cpu;
  const requests = Number(args.requests);
  await drive(Math.min(requests, 5_000)); // warm-up: JIT, pools
  const perRequest: number[] = [];
  for (let round = 0; round < Number(args.rounds); round++) {
    const before = await cpu();
    const t0 = performance.now();
    await drive(requests);
    const seconds = (performance.now() - t0) / 1000;
    const after = await cpu();
    const user = (after.user - before.user) / requests;
    const system = (after.system - before.system) / requests;
    perRequest.push(user + system);
    console.log(
      `round ${round + 1}: ${(user + system).toFixed(1)} µs of server CPU per request (user ${user.toFixed(1)}, system ${system.toFixed(1)}), ${Math.round(requests / seconds)} req/s`,
    );
  }
  perRequest.sort((a, b) => a - b);
  console.log(
    `${args.bare ? 'bare Fastify' : 'chassis'}${args.db ? ' + one statement' : ''}: ` +
      `median ${perRequest[Math.floor(perRequest.length / 2)]!.toFixed(1)}, least ${perRequest[0]!.toFixed(1)} µs per request`,
  );
  await pool.close();
  child.send({ exit: true });
}

/** The next message from the child carrying `key`, after sending `send` if given. */
async function next(child: ChildProcess, key: string, send?: object): Promise<unknown> {
  const got = new Promise((resolve, reject) => {
    const onMessage = (msg: Record<string, unknown>) => {
      if (key in msg) {
        child.off('message', onMessage);
        resolve(msg);
      }
    };
    child.on('message', onMessage);
    void once(child, 'exit').then(() => reject(new Error('the server exited')));
  });
  if (send) child.send(send);
  return got;
}
