// The gateway's public edge against slow and greedy clients: header timeout,
// connection caps, streamed and oversized bodies, and what the public port
// no longer serves (metrics, /_admin, detailed readiness).

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import type { RunningService } from '@souk/chassis';
import { waitFor } from '@souk/chassis/testing';
import { problemOf, startGateway, startUpstream, type Upstream } from './harness.ts';

/** An upstream that reports when the first bytes of a body arrive and hashes what it got. */
interface StreamingUpstream {
  url: string;
  firstBytes: Promise<void>;
  bodies: { length: number; sha256: string }[];
  close(): Promise<void>;
}

async function startStreamingUpstream(): Promise<StreamingUpstream> {
  let sawBytes!: () => void;
  const firstBytes = new Promise<void>((resolve) => (sawBytes = resolve));
  const bodies: { length: number; sha256: string }[] = [];
  const server = createServer((req: IncomingMessage, res) => {
    const hash = createHash('sha256');
    let length = 0;
    req.on('data', (chunk: Buffer) => {
      sawBytes();
      hash.update(chunk);
      length += chunk.length;
    });
    req.on('end', () => {
      const body = { length, sha256: hash.digest('hex') };
      bodies.push(body);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    firstBytes,
    bodies,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const PER_IP = 3;
/** A gateway without the limit under test would leave these waiting forever: fail instead. */
const OUTCOME = { timeout: 30_000 };
let identity: StreamingUpstream;
let catalog: Upstream;
let gateway: RunningService;

before(async () => {
  identity = await startStreamingUpstream();
  catalog = await startUpstream();
  gateway = await startGateway({
    services: { identity: [identity.url], catalog: [catalog.url] },
    env: {
      GATEWAY_HEADERS_TIMEOUT_MS: '300',
      GATEWAY_REQUEST_TIMEOUT_MS: '2000',
      GATEWAY_MAX_CONNECTIONS_PER_IP: String(PER_IP),
    },
  });
});

after(async () => {
  await gateway.stop();
  await identity.close();
  await catalog.close();
});

/** A raw TCP connection to the gateway's public port, with everything it received. */
async function open(): Promise<{ socket: Socket; received: () => string; closed: Promise<void> }> {
  const { hostname, port } = new URL(gateway.url);
  const socket = connect({ host: hostname, port: Number(port) });
  let data = '';
  socket.on('data', (c: Buffer) => (data += c.toString('latin1')));
  socket.on('error', () => undefined);
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  return { socket, received: () => data, closed };
}

/** One keep-alive request on a raw connection; resolves with the status line once the answer is in. */
async function healthOn(conn: Awaited<ReturnType<typeof open>>): Promise<string> {
  const before = conn.received().length;
  conn.socket.write('GET /health/live HTTP/1.1\r\nhost: souk\r\n\r\n');
  return waitFor(
    () => {
      const answer = conn.received().slice(before);
      return answer.includes('"up"') ? answer.split('\r\n')[0] : undefined;
    },
    { what: 'the health answer' },
  );
}

test(
  'a client that sends its headers a byte at a time is answered 408 and cut off once the header timeout passes',
  OUTCOME,
  async () => {
    const conn = await open();
    conn.socket.write('GET /api/v1/catalog/products HTTP/1.1\r\nhost: souk\r\n');
    // A header that never ends: only the gateway's timeout can stop this.
    const drip = setInterval(() => conn.socket.writable && conn.socket.write('x'), 50);
    try {
      await conn.closed;
    } finally {
      clearInterval(drip);
    }
    assert.match(conn.received(), /^HTTP\/1\.1 408 /);
    assert.match(conn.received(), /SOUK_REQUEST_TIMEOUT|"status":408/);
    assert.equal(catalog.received.length, 0, 'nothing reached the service');
  },
);

test('connections past the per-address cap are refused with 429 and closed; the others keep working', OUTCOME, async () => {
  const held = [];
  for (let i = 0; i < PER_IP; i++) {
    const conn = await open();
    assert.match(await healthOn(conn), /^HTTP\/1\.1 200/);
    held.push(conn);
  }
  const extra = await open();
  extra.socket.write('GET /health/live HTTP/1.1\r\nhost: souk\r\n\r\n');
  await extra.closed;
  assert.match(extra.received(), /^HTTP\/1\.1 429 /);
  assert.match(extra.received(), /SOUK_GATEWAY_TOO_MANY_CONNECTIONS/);
  assert.doesNotMatch(extra.received(), /"up"/, 'the refused connection was not served');
  // The held connections still serve, and one closed makes room for a new one.
  assert.match(await healthOn(held[0]!), /^HTTP\/1\.1 200/);
  held[0]!.socket.destroy();
  await held[0]!.closed;
  await waitFor(
    async () => {
      const res = await fetch(`${gateway.url}/health/live`, { headers: { connection: 'close' } }).catch(() => undefined);
      return res?.status === 200;
    },
    { what: 'a connection accepted again' },
  );
  for (const conn of held.slice(1)) conn.socket.destroy();
  await Promise.all(held.map((c) => c.closed));
});

test(
  'a large body streams to the service: its first bytes arrive before the client sent the rest, and all of it arrives intact',
  OUTCOME,
  async () => {
    const body = randomBytes(768 * 1024);
    const half = body.length / 2;
    let sendRest!: () => void;
    const rest = new Promise<void>((resolve) => (sendRest = resolve));
    const stream = new ReadableStream<Uint8Array>({
      async start(controller) {
        controller.enqueue(body.subarray(0, half));
        await rest;
        controller.enqueue(body.subarray(half));
        controller.close();
      },
    });
    const answer = fetch(`${gateway.url}/api/v1/identity/upload`, {
      method: 'POST',
      headers: { 'content-type': 'application/octet-stream', 'content-length': String(body.length) },
      body: stream,
      duplex: 'half',
    });
    // A buffering gateway would hold the first half until the second came: this would never resolve.
    await identity.firstBytes;
    sendRest();
    const res = await answer;
    assert.equal(res.status, 200);
    const expected = { length: body.length, sha256: createHash('sha256').update(body).digest('hex') };
    assert.deepEqual(await res.json(), expected);
    assert.deepEqual(identity.bodies.at(-1), expected);
  },
);

test('a body declared over the limit is refused with 413 before any of it goes upstream', async () => {
  const before = identity.bodies.length;
  const res = await fetch(`${gateway.url}/api/v1/identity/upload`, {
    method: 'POST',
    headers: { 'content-type': 'application/octet-stream' },
    body: Buffer.alloc(1024 * 1024 + 1, 1),
  });
  assert.equal(res.status, 413);
  assert.equal((await problemOf(res)).code, 'SOUK_REQUEST_TOO_LARGE');
  assert.equal(identity.bodies.length, before);
});

test('a chunked body is held to the buffer size (it has no length to check first): 413 past it, forwarded below it', async () => {
  const chunked = (size: number) =>
    new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(Buffer.alloc(size, 3));
        controller.close();
      },
    });
  const big = await fetch(`${gateway.url}/api/v1/identity/upload`, {
    method: 'POST',
    body: chunked(65 * 1024),
    duplex: 'half',
  });
  assert.equal(big.status, 413);
  assert.equal((await problemOf(big)).code, 'SOUK_GATEWAY_CHUNKED_BODY_TOO_LARGE');
  const small = await fetch(`${gateway.url}/api/v1/identity/upload`, {
    method: 'POST',
    body: chunked(1000),
    duplex: 'half',
  });
  assert.equal(small.status, 200);
  assert.equal(((await small.json()) as { length: number }).length, 1000);
});

test('the public port serves no metrics, no /_admin and no readiness details; the admin listener does', async () => {
  for (const path of ['/metrics', '/_admin/resilience']) {
    const res = await fetch(`${gateway.url}${path}`);
    assert.equal(res.status, 404, path);
    assert.equal((await problemOf(res)).code, 'SOUK_ROUTE_NOT_FOUND');
    assert.equal((await fetch(`${gateway.adminUrl}${path}`)).status, 200, path);
  }
  assert.deepEqual(await (await fetch(`${gateway.url}/health/ready`)).json(), { status: 'up' });
  const detailed = (await (await fetch(`${gateway.adminUrl}/health/ready`)).json()) as { checks: Record<string, string> };
  assert.equal(detailed.checks.discovery, 'up');
  // The admin listener is not a second way in to the API.
  assert.equal((await fetch(`${gateway.adminUrl}/api/v1/catalog/products`)).status, 404);
});

test('the projection lag of order history is not reachable from outside', async () => {
  const res = await fetch(`${gateway.url}/api/v1/order-history/lag`);
  assert.equal(res.status, 404);
  assert.equal((await problemOf(res)).code, 'SOUK_ROUTE_NOT_FOUND');
});
