// The request log line written below Fastify: debug for the usual request,
// info for a slow one (not the event feed's long poll), error for a 5xx; each
// with the request's trace and request ids.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { trace } from '@opentelemetry/api';
import { pino, type LevelWithSilent } from 'pino';
import { Registry } from 'prom-client';
import { createHttpServerMetrics } from '../metrics.ts';
import { waitFor } from '../testing/wait-for.ts';
import { instrumentHandler, setRoute } from './telemetry.ts';

interface Line {
  level: number;
  msg: string;
  route?: string;
  status?: number;
  slow?: boolean;
  trace_id?: string;
  span_id?: string;
  request_id?: string;
}

async function serve(level: LevelWithSilent, slowRequestMs: number): Promise<{ url: string; lines: Line[]; server: Server }> {
  const lines: Line[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString()) as Line);
      done();
    },
  });
  const log = pino({ level }, destination);
  const handler = instrumentHandler(
    (req, res) => {
      const path = req.url ?? '/';
      setRoute(res, path);
      res.writeHead(path === '/fail' ? 500 : path === '/health/ready' ? 503 : 200).end();
    },
    { tracer: trace.getTracer('test'), metrics: createHttpServerMetrics(new Registry()), log, slowRequestMs },
  );
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, lines, server };
}

const LEVEL = { debug: 20, info: 30, error: 50 };

test('a usual request is logged at debug only, with its ids', async () => {
  const quiet = await serve('info', 60_000);
  const chatty = await serve('debug', 60_000);
  try {
    for (const s of [quiet, chatty])
      assert.equal((await fetch(`${s.url}/ok`, { headers: { 'x-request-id': 'r-1' } })).status, 200);
    const line = await waitFor(() => chatty.lines[0], { what: 'the debug line' });
    assert.equal(line.level, LEVEL.debug);
    assert.equal(line.msg, 'request completed');
    assert.equal(line.route, '/ok');
    assert.equal(line.request_id, 'r-1');
    assert.match(line.trace_id ?? '', /^[0-9a-f]{32}$/, 'trace ids in the line');
    assert.match(line.span_id ?? '', /^[0-9a-f]{16}$/);
    // The info-level server got the same request: a line at info would have been written by now.
    assert.deepEqual(quiet.lines, []);
  } finally {
    quiet.server.close();
    chatty.server.close();
  }
});

test('a slow request is logged at info, except the long poll; a failure at error, but not a readiness 503', async () => {
  const s = await serve('info', 0); // every request is "slow"
  try {
    await fetch(`${s.url}/ok`);
    await fetch(`${s.url}/_events`);
    await fetch(`${s.url}/health/ready`);
    await fetch(`${s.url}/fail`);
    await waitFor(() => s.lines.length >= 3, { what: 'three lines' });
    const byRoute = new Map(s.lines.map((l) => [l.route, l]));
    assert.equal(byRoute.get('/ok')?.level, LEVEL.info);
    assert.equal(byRoute.get('/ok')?.slow, true);
    assert.equal(byRoute.get('/fail')?.level, LEVEL.error);
    assert.equal(byRoute.get('/fail')?.status, 500);
    assert.equal(byRoute.has('/_events'), false, 'the long poll is not slow');
    // Not ready while starting is an answer, not a failure: info here only because every request is "slow".
    assert.equal(byRoute.get('/health/ready')?.level, LEVEL.info);
    assert.equal(byRoute.get('/health/ready')?.status, 503);
  } finally {
    s.server.close();
  }
});

test('a request is counted once when it ends: 200 when answered, 499 when the client left first', async () => {
  const registry = new Registry();
  const metrics = createHttpServerMetrics(registry);
  const handler = instrumentHandler(
    (req, res) => {
      setRoute(res, req.url ?? '/');
      if (req.url === '/ok') res.writeHead(200).end();
      // '/hang' never answers: the client gives up.
    },
    { tracer: trace.getTracer('test'), metrics, log: pino({ level: 'silent' }), slowRequestMs: 60_000 },
  );
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  try {
    assert.equal((await fetch(`${url}/ok`)).status, 200);
    const gone = new AbortController();
    const hanging = fetch(`${url}/hang`, { signal: gone.signal }).catch(() => undefined);
    await waitFor(() => metrics.inFlight('GET').count === 1, { what: 'the hanging request in flight' });
    gone.abort();
    await hanging;
    await waitFor(() => metrics.inFlight('GET').count === 0, { what: 'no request in flight' });
    const text = await registry.metrics();
    assert.match(
      text,
      /^http_server_request_duration_seconds_count\{[^}]*http_route="\/ok",http_response_status_code="200"\} 1$/m,
    );
    assert.match(
      text,
      /^http_server_request_duration_seconds_count\{[^}]*http_route="\/hang",http_response_status_code="499"\} 1$/m,
    );
    assert.match(text, /^http_server_active_requests\{http_request_method="GET"\} 0$/m);
  } finally {
    server.closeAllConnections();
    server.close();
  }
});
