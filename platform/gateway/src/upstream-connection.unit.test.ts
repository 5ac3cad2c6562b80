// The gateway's upstream connections against a raw TCP server that answers
// byte for byte as told: reuse, framing (chunked, HEAD, 1xx, end of stream),
// failures told apart (connect, reset, timeout) and the pool's queue.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import type { AttemptFailure } from './forward.ts';
import { createUpstreamPools, type PooledExchange, type UpstreamPools } from './upstream-pools.ts';

/** A server whose `answer` writes raw bytes for each request head it reads (one request per read is enough here). */
async function rawServer(answer: (socket: Socket, request: string) => void) {
  const sockets = new Set<Socket>();
  let connections = 0;
  const server = createServer((socket) => {
    connections++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('data', (data) => answer(socket, data.toString('latin1')));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    connections: () => connections,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

interface Recorded {
  status?: number;
  headers?: string[];
  body: string;
  failure?: AttemptFailure;
  error?: Error;
}

/** Sends one GET (or `method`) through the pool and resolves with what the exchange saw. */
function send(pools: UpstreamPools, url: string, options: { method?: string; timeoutMs?: number; path?: string } = {}) {
  const method = options.method ?? 'GET';
  const target = pools.target(url);
  const recorded: Recorded = { body: '' };
  let exchange!: PooledExchange;
  const done = new Promise<Recorded>((resolve) => {
    exchange = {
      head: `${method} ${options.path ?? '/'} HTTP/1.1\r\nhost: ${target.host}\r\n\r\n`,
      body: undefined,
      bodyStream: undefined,
      headOnly: method === 'HEAD',
      timeoutMs: options.timeoutMs ?? 2_000,
      connection: undefined,
      onHeaders(status, headers) {
        recorded.status = status;
        recorded.headers = headers;
      },
      onData(chunk) {
        recorded.body += chunk.toString();
        return true;
      },
      flush() {},
      onEnd: () => resolve(recorded),
      onError(failure, error) {
        Object.assign(recorded, { failure, error });
        resolve(recorded);
      },
    };
  });
  target.pool.send(exchange);
  return { done, exchange, pool: target.pool };
}

const OK = 'HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: 2\r\n\r\nok';

test('keep-alive: answers one after the other reuse one connection', async (t) => {
  const server = await rawServer((socket) => socket.write(OK));
  const pools = createUpstreamPools({ connections: 4, connectTimeoutMs: 1_000 });
  t.after(() => Promise.all([pools.close(), server.close()]));
  for (let i = 0; i < 3; i++) {
    const got = await send(pools, server.url).done;
    assert.equal(got.status, 200);
    assert.equal(got.body, 'ok');
    assert.deepEqual(got.headers, ['content-type', 'text/plain', 'content-length', '2']);
  }
  assert.equal(server.connections(), 1);
});

test('a chunked answer arriving in pieces, its headers split across reads, comes through whole', async (t) => {
  const server = await rawServer((socket) => {
    const parts = [
      'HTTP/1.1 200 OK\r\nx-one: 1\r\nSet-Cookie: a=1\r\n',
      'Set-Cookie: b=2\r\ntransfer-encoding: chunked\r\n\r\n',
      '3\r\nabc\r\n',
      '2\r\nde\r\n0\r\n\r\n',
    ];
    let i = 0;
    const next = () => {
      socket.write(parts[i++]!);
      if (i < parts.length) setTimeout(next, 5);
    };
    next();
  });
  const pools = createUpstreamPools({ connections: 1, connectTimeoutMs: 1_000 });
  t.after(() => Promise.all([pools.close(), server.close()]));
  const got = await send(pools, server.url).done;
  assert.equal(got.body, 'abcde');
  assert.deepEqual(got.headers, ['x-one', '1', 'Set-Cookie', 'a=1', 'Set-Cookie', 'b=2', 'transfer-encoding', 'chunked']);
  assert.equal((await send(pools, server.url).done).body, 'abcde', 'and the connection is reusable after it');
  assert.equal(server.connections(), 1);
});

test("a chunked answer's trailers do not leak into the next answer's headers", async (t) => {
  let count = 0;
  const server = await rawServer((socket) => {
    count++;
    if (count === 1) socket.write('HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n2\r\nok\r\n0\r\nx-trailer: t\r\n\r\n');
    else {
      // Headers split across two reads: the parser hands them over through kOnHeaders.
      socket.write('HTTP/1.1 200 OK\r\nx-second: 2\r\n');
      setTimeout(() => socket.write('content-length: 2\r\n\r\nok'), 10);
    }
  });
  const pools = createUpstreamPools({ connections: 1, connectTimeoutMs: 1_000 });
  t.after(() => Promise.all([pools.close(), server.close()]));
  assert.equal((await send(pools, server.url).done).body, 'ok');
  const second = await send(pools, server.url).done;
  assert.deepEqual(second.headers, ['x-second', '2', 'content-length', '2']);
  assert.equal(server.connections(), 1);
});

test('HEAD: headers only whatever Content-Length says, and the connection goes on', async (t) => {
  const server = await rawServer((socket, request) =>
    socket.write(request.startsWith('HEAD') ? 'HTTP/1.1 200 OK\r\ncontent-length: 1234\r\n\r\n' : OK),
  );
  const pools = createUpstreamPools({ connections: 1, connectTimeoutMs: 1_000 });
  t.after(() => Promise.all([pools.close(), server.close()]));
  const head = await send(pools, server.url, { method: 'HEAD' }).done;
  assert.equal(head.status, 200);
  assert.equal(head.body, '');
  assert.equal((await send(pools, server.url).done).body, 'ok');
  assert.equal(server.connections(), 1);
});

test('a 100 Continue before the answer is skipped', async (t) => {
  const server = await rawServer((socket) => socket.write(`HTTP/1.1 100 Continue\r\n\r\n${OK}`));
  const pools = createUpstreamPools({ connections: 1, connectTimeoutMs: 1_000 });
  t.after(() => Promise.all([pools.close(), server.close()]));
  const got = await send(pools, server.url).done;
  assert.equal(got.status, 200);
  assert.equal(got.body, 'ok');
});

test('Connection: close, or a body read to the end of the stream, retires the connection', async (t) => {
  const server = await rawServer((socket, request) => {
    if (request.includes('/eof')) socket.end('HTTP/1.1 200 OK\r\n\r\nuntil the end');
    else socket.write('HTTP/1.1 200 OK\r\nconnection: close\r\ncontent-length: 2\r\n\r\nok');
  });
  const pools = createUpstreamPools({ connections: 1, connectTimeoutMs: 1_000 });
  t.after(() => Promise.all([pools.close(), server.close()]));
  assert.equal((await send(pools, server.url).done).body, 'ok');
  assert.equal((await send(pools, server.url, { path: '/eof' }).done).body, 'until the end');
  assert.equal((await send(pools, server.url).done).body, 'ok');
  assert.equal(server.connections(), 3);
});

test('failures are told apart: refused is connect, dropped mid-answer is reset, silence is timeout', async (t) => {
  const server = await rawServer((socket, request) => {
    if (request.includes('/drop')) {
      socket.write('HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\nabc');
      setTimeout(() => socket.destroy(), 10);
    }
    // '/silent': never answers
  });
  const pools = createUpstreamPools({ connections: 2, connectTimeoutMs: 1_000 });
  t.after(() => Promise.all([pools.close(), server.close()]));

  const refused = createServer();
  await new Promise<void>((resolve) => refused.listen(0, '127.0.0.1', resolve));
  const { port } = refused.address() as AddressInfo;
  await new Promise<void>((resolve) => refused.close(() => resolve()));
  const connect = await send(pools, `http://127.0.0.1:${port}`).done;
  assert.equal(connect.failure, 'connect');
  assert.equal((connect.error as { code?: string }).code, 'ECONNREFUSED');

  const reset = await send(pools, server.url, { path: '/drop' }).done;
  assert.equal(reset.failure, 'reset');
  assert.equal(reset.body, 'abc', 'what arrived before the drop was passed on');

  const started = performance.now();
  const timeout = await send(pools, server.url, { path: '/silent', timeoutMs: 100 }).done;
  assert.equal(timeout.failure, 'timeout');
  assert.ok(performance.now() - started < 1_000);
});

test('beyond the pool size requests wait for a free connection; a cancelled one never leaves', async (t) => {
  const server = await rawServer((socket) => setTimeout(() => socket.write(OK), 20));
  const pools = createUpstreamPools({ connections: 1, connectTimeoutMs: 1_000 });
  t.after(() => Promise.all([pools.close(), server.close()]));
  const first = send(pools, server.url);
  const cancelled = send(pools, server.url);
  const third = send(pools, server.url);
  cancelled.pool.cancel(cancelled.exchange);
  assert.equal((await first.done).body, 'ok');
  assert.equal((await third.done).body, 'ok');
  assert.equal(cancelled.exchange.connection, undefined);
  assert.equal(server.connections(), 1);
  assert.equal(first.pool.size, 1);
});

test('closing the pools waits for the answer in flight, then no connection is left', async (t) => {
  const server = await rawServer((socket) => setTimeout(() => socket.write(OK), 20));
  const pools = createUpstreamPools({ connections: 2, connectTimeoutMs: 1_000 });
  t.after(() => server.close());
  const inFlight = send(pools, server.url);
  await new Promise((resolve) => setTimeout(resolve, 5));
  await pools.close();
  assert.equal((await inFlight.done).body, 'ok');
  assert.equal(inFlight.pool.size, 0);
});
