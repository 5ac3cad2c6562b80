// The chassis end to end: a real service on a real PostgreSQL, driven over HTTP.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { request } from 'undici';
import pgLib from 'pg';
import { defineService, startService, type Discovery, type RunningService } from '../src/index.ts';
import {
  createTestDatabase,
  createTestIssuer,
  freePort,
  waitFor,
  type TestDatabase,
  type TestIssuer,
} from '../src/testing/index.ts';
import { closeGate, gate, notesService, type NotesDb } from './notes-service.ts';

async function pg(url: string, text: string) {
  const client = new pgLib.Client({ connectionString: url });
  await client.connect();
  try {
    return await client.query(text);
  } finally {
    await client.end();
  }
}

let database: TestDatabase;
let issuer: TestIssuer;
let svc: RunningService;

before(async () => {
  database = await createTestDatabase('chassis');
  issuer = await createTestIssuer();
  svc = await startService(notesService, { env: { DATABASE_URL: database.url, LOG_LEVEL: 'silent', NOTES_GREETING: 'salaam' } });
  svc.ctx.auth.setKeySource(issuer.keySource);
});
after(async () => {
  await svc.stop();
  await database.drop();
});

async function call(
  method: string,
  path: string,
  options: { body?: string; headers?: Record<string, string>; base?: string } = {},
) {
  const res = await request(`${options.base ?? svc.url}${path}`, {
    method: method as 'GET',
    body: options.body,
    headers: options.headers,
  });
  const text = await res.body.text();
  const json = /json/.test(String(res.headers['content-type'])) && text ? JSON.parse(text) : undefined;
  return { status: res.statusCode, headers: res.headers, text, json };
}

function assertProblem(res: Awaited<ReturnType<typeof call>>, status: number, code: string) {
  assert.equal(res.status, status, res.text);
  assert.match(String(res.headers['content-type']), /^application\/problem\+json/);
  assert.equal(res.json.code, code);
  assert.equal(res.json.status, status);
  assert.equal(res.json.type, `urn:souk:problem:${code}`);
  assert.equal(typeof res.json.title, 'string');
  assert.equal(typeof res.json.detail, 'string');
  assert.match(res.json.traceId, /^[0-9a-f]{32}$/);
}

describe('built-in endpoints', () => {
  test('liveness and readiness (which checks the database): terse on the public port, each check on the admin one', async () => {
    assert.equal((await call('GET', '/health/live')).status, 200);
    const ready = await call('GET', '/health/ready');
    assert.equal(ready.status, 200);
    assert.deepEqual(ready.json, { status: 'up' });
    const detailed = await call('GET', '/health/ready', { base: svc.adminUrl });
    assert.equal(detailed.status, 200);
    assert.equal(detailed.json.checks.database, 'up');
    assert.equal(detailed.json.checks.discovery, 'up');
    assert.equal((await call('GET', '/health/live', { base: svc.adminUrl })).status, 200);
  });

  test('the admin listener alone serves /metrics and /_admin/*; the public one answers them like unknown paths', async () => {
    assert.notEqual(new URL(svc.adminUrl).port, new URL(svc.url).port);
    for (const path of ['/metrics', '/_admin/resilience']) {
      assertProblem(await call('GET', path), 404, 'SOUK_ROUTE_NOT_FOUND');
      assert.equal((await call('GET', path, { base: svc.adminUrl })).status, 200, path);
    }
    assert.match((await call('GET', '/metrics', { base: svc.adminUrl })).text, /process_cpu_seconds_total/);
    assert.equal(typeof (await call('GET', '/_admin/resilience', { base: svc.adminUrl })).json, 'object');
    // The service's API stays on the public port only.
    assertProblem(await call('GET', '/api/v1/notes-greeting', { base: svc.adminUrl }), 404, 'SOUK_ROUTE_NOT_FOUND');
    assert.equal((await call('GET', '/api/v1/notes-greeting')).status, 200);
  });

  test('not ready while no instance list has arrived', async () => {
    const db = await createTestDatabase('chassis_ready');
    const unreachable: Discovery = {
      instances: () => [],
      services: () => [],
      onChange: () => () => undefined,
      ready: () => Promise.reject(new Error('registry down')),
      close: async () => undefined,
    };
    const other = await startService(notesService, {
      env: { DATABASE_URL: db.url, LOG_LEVEL: 'silent' },
      discovery: unreachable,
    });
    try {
      const terse = await request(`${other.url}/health/ready`);
      assert.equal(terse.statusCode, 503);
      const refusal = (await terse.body.json()) as { code: string; checks?: unknown };
      assert.equal(refusal.code, 'SOUK_SERVICE_NOT_READY');
      // The public port says not ready, never why (a failing check's text names hosts and drivers).
      assert.equal(refusal.checks, undefined);
      const res = await request(`${other.adminUrl}/health/ready`);
      assert.equal(res.statusCode, 503);
      const problem = (await res.body.json()) as { code: string; checks: Record<string, string> };
      assert.equal(problem.code, 'SOUK_SERVICE_NOT_READY');
      assert.equal(problem.checks.database, 'up');
      assert.match(problem.checks.discovery ?? '', /^down: no instance list/);
      assert.equal((await request(`${other.url}/health/live`)).statusCode, 200);
    } finally {
      await other.stop();
      await db.drop();
    }
  });

  test('metrics expose request durations by route, method and status, and process metrics', async () => {
    await call('GET', '/api/v1/notes-greeting');
    const metrics = await call('GET', '/metrics', { base: svc.adminUrl });
    assert.match(
      metrics.text,
      /http_server_request_duration_seconds_count\{[^}]*http_request_method="GET"[^}]*http_route="\/api\/v1\/notes-greeting"[^}]*http_response_status_code="200"/,
    );
    assert.match(metrics.text, /http_server_active_requests/);
    assert.match(metrics.text, /process_cpu_seconds_total/);
    assert.match(metrics.text, /nodejs_eventloop_lag_p99_seconds/);
  });

  test('openapi.json describes the routes', async () => {
    const doc = await call('GET', '/openapi.json');
    assert.equal(doc.json.openapi, '3.1.0');
    assert.ok(doc.json.paths['/api/v1/notes']);
    assert.ok(doc.json.paths['/api/v1/notes/{id}']);
    assert.equal(doc.json.paths['/health/live'], undefined);
  });

  test('service config comes from the environment', async () => {
    assert.deepEqual((await call('GET', '/api/v1/notes-greeting')).json, { greeting: 'salaam' });
  });
});

describe('bad input is a 4xx problem, never a 5xx', () => {
  const json = { 'content-type': 'application/json' };
  test('malformed JSON', async () => {
    const token = await issuer.token();
    assertProblem(
      await call('POST', '/api/v1/notes', { body: '{"text": ', headers: { ...json, authorization: `Bearer ${token}` } }),
      400,
      'SOUK_REQUEST_MALFORMED_JSON',
    );
  });
  test('prototype pollution is refused as malformed JSON, saying why', async () => {
    const res = await call('POST', '/api/v1/echo-after-body', { body: '{"n":1,"__proto__":{"admin":true}}', headers: json });
    assertProblem(res, 400, 'SOUK_REQUEST_MALFORMED_JSON');
    assert.match(res.json.detail, /prototype/);
  });
  test('wrong types, with the field named', async () => {
    const token = await issuer.token();
    const res = await call('POST', '/api/v1/notes', {
      body: '{"text": 42}',
      headers: { ...json, authorization: `Bearer ${token}` },
    });
    assertProblem(res, 400, 'SOUK_REQUEST_INVALID');
    assert.equal(res.json.errors[0].in, 'body');
    assert.equal(res.json.errors[0].path, '/text');
  });
  test('unknown fields are refused when the schema says so', async () => {
    const token = await issuer.token();
    const res = await call('POST', '/api/v1/notes', {
      body: '{"text":"a","admin":true}',
      headers: { ...json, authorization: `Bearer ${token}` },
    });
    assertProblem(res, 400, 'SOUK_REQUEST_INVALID');
    assert.match(res.json.detail, /admin/);
  });
  test('bad path parameter', async () => {
    assertProblem(await call('GET', '/api/v1/notes/not-a-uuid'), 400, 'SOUK_REQUEST_INVALID');
  });
  test('unknown route', async () => {
    const res = await call('GET', '/api/v1/nothing-here');
    assertProblem(res, 404, 'SOUK_ROUTE_NOT_FOUND');
    assert.equal(res.json.instance, '/api/v1/nothing-here');
  });
  test('oversized body', async () => {
    const big = JSON.stringify({ n: 1, pad: 'x'.repeat(1024 * 1024 + 10) });
    assertProblem(await call('POST', '/api/v1/echo-after-body', { body: big, headers: json }), 413, 'SOUK_REQUEST_TOO_LARGE');
  });
  test('unsupported content type', async () => {
    assertProblem(
      await call('POST', '/api/v1/echo-after-body', { body: 'n=1', headers: { 'content-type': 'text/plain' } }),
      415,
      'SOUK_REQUEST_UNSUPPORTED_MEDIA_TYPE',
    );
  });
  test('form bodies are parsed (OAuth token endpoints need them)', async () => {
    const res = await call('POST', '/api/v1/echo-after-body', {
      body: 'n=5',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.n, 5);
  });
  test('a bug is a 500 SOUK_INTERNAL that does not leak the message', async () => {
    const res = await call('GET', '/api/v1/bug');
    assertProblem(res, 500, 'SOUK_INTERNAL');
    assert.doesNotMatch(res.text, /secret internals/);
  });
  test('the database going away under a request is a retryable 503, not a 500', async () => {
    const res = await call('GET', '/api/v1/database-gone');
    assertProblem(res, 503, 'SOUK_DATABASE_UNAVAILABLE');
    assert.equal(res.headers['retry-after'], '1');
    // The pool drops the dead connection (once its socket closes; a request in between may meet it and get
    // another 503): requests are served again without a restart.
    const served = await waitFor(
      async () => {
        const res = await call('GET', '/api/v1/notes/00000000-0000-4000-8000-000000000000');
        if (res.status === 503) return false;
        return res;
      },
      { timeoutMs: 10_000, intervalMs: 20, what: 'the service to use a live connection again' },
    );
    assertProblem(served, 404, 'SOUK_NOTES_NOT_FOUND');
  });
  test('a transaction the database ended to break a deadlock is a retryable 503, not a 500', async () => {
    const res = await call('GET', '/api/v1/deadlock');
    assertProblem(res, 503, 'SOUK_DATABASE_CONFLICT');
    assert.equal(res.headers['retry-after'], '1');
  });
  test('a domain error keeps its code and status', async () => {
    assertProblem(await call('GET', '/api/v1/notes/00000000-0000-4000-8000-000000000000'), 404, 'SOUK_NOTES_NOT_FOUND');
  });
});

describe('auth', () => {
  test('no token → 401 with WWW-Authenticate', async () => {
    const res = await call('POST', '/api/v1/notes', { body: '{"text":"a"}', headers: { 'content-type': 'application/json' } });
    assertProblem(res, 401, 'SOUK_AUTH_TOKEN_MISSING');
    assert.match(String(res.headers['www-authenticate']), /^Bearer/);
  });
  test('a token from another issuer → 401', async () => {
    const stranger = await createTestIssuer();
    const res = await call('DELETE', '/api/v1/notes/1', {
      headers: { authorization: `Bearer ${await stranger.token({ roles: ['admin'] })}` },
    });
    assertProblem(res, 401, 'SOUK_AUTH_TOKEN_INVALID');
  });
  test('an expired token → 401', async () => {
    const res = await call('DELETE', '/api/v1/notes/1', {
      headers: { authorization: `Bearer ${await issuer.token({ roles: ['admin'], expiresInSeconds: -10 })}` },
    });
    assertProblem(res, 401, 'SOUK_AUTH_TOKEN_INVALID');
    assert.match(res.json.detail, /expired/);
  });
  test('a customer is refused an admin route with 403', async () => {
    const res = await call('DELETE', '/api/v1/notes/1', { headers: { authorization: `Bearer ${await issuer.token()}` } });
    assertProblem(res, 403, 'SOUK_AUTH_FORBIDDEN');
  });
  test('an admin passes; a customer writes a note as itself', async () => {
    const admin = await call('DELETE', '/api/v1/notes/1', {
      headers: { authorization: `Bearer ${await issuer.token({ roles: ['admin'] })}` },
    });
    assert.equal(admin.status, 204);
    const created = await call('POST', '/api/v1/notes', {
      body: '{"text":"buy dates"}',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${await issuer.token({ sub: 'user-42' })}` },
    });
    assert.equal(created.status, 201, created.text);
    assert.equal(created.json.author, 'user-42');
    const read = await call('GET', `/api/v1/notes/${created.json.id}`);
    assert.equal(read.json.text, 'buy dates');
  });
});

describe('tracing and request ids', () => {
  const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
  const traceparent = `00-${traceId}-00f067aa0ba902b7-01`;
  test('an incoming traceparent is continued and the request id echoed', async () => {
    const res = await call('GET', '/api/v1/whoami', { headers: { traceparent, 'x-request-id': 'req-123' } });
    assert.equal(res.json.traceId, traceId);
    assert.equal(res.json.requestId, 'req-123');
    assert.equal(res.headers['x-request-id'], 'req-123');
  });
  test('the context survives body parsing', async () => {
    const res = await call('POST', '/api/v1/echo-after-body', {
      body: '{"n":1}',
      headers: { 'content-type': 'application/json', traceparent },
    });
    assert.equal(res.json.traceId, traceId);
    assert.match(res.json.requestId, /^[0-9a-f-]{36}$/);
  });
  test('problem documents carry the trace id', async () => {
    const res = await call('GET', '/api/v1/nothing', { headers: { traceparent } });
    assert.equal(res.json.traceId, traceId);
  });
});

describe('graceful shutdown', () => {
  test('drains the request in flight, then refuses new ones', async () => {
    const db = await createTestDatabase('chassis_drain');
    // A huge forced-close deadline: stop() must end when the request is done, not when the deadline hits,
    // even though the client keeps its connection alive.
    const other = await startService(notesService, {
      env: { DATABASE_URL: db.url, LOG_LEVEL: 'silent', SHUTDOWN_TIMEOUT_MS: '600000' },
    });
    try {
      closeGate();
      const inFlight = request(`${other.url}/api/v1/slow`);
      // Wait until the slow request is really in flight: the scrape itself is the other GET.
      await waitFor(
        async () =>
          /http_server_active_requests\{[^}]*"GET"[^}]*\} 2\b/.test(
            await (await request(`${other.adminUrl}/metrics`)).body.text(),
          ),
        { what: 'the slow request in flight', intervalMs: 1 },
      );
      const stopping = other.stop();
      let stopped = false;
      void stopping.then(() => (stopped = true));
      // The request is still held: a new one is refused (503 on a kept-alive connection, or no connection at all)...
      const refused = async () => {
        try {
          const res = await request(`${other.url}/api/v1/notes`, { headers: { authorization: 'Bearer x' } });
          await res.body.dump();
          return res.statusCode === 503;
        } catch {
          return true;
        }
      };
      await waitFor(refused, { what: 'new requests to be refused' });
      // ...and stop() waits for the one in flight (opening the gate at once would let any stop() pass).
      assert.equal(stopped, false, 'stop() ended while a request was in flight');
      gate.open();
      const res = await inFlight;
      assert.equal(res.statusCode, 200);
      assert.deepEqual(await res.body.json(), { done: true });
      await stopping;
      await assert.rejects(request(`${other.url}/health/live`));
    } finally {
      await db.drop();
    }
  });
});

describe('a failed start', () => {
  test('releases what it had acquired: close hooks run, the port and every database connection are let go', async () => {
    const db = await createTestDatabase('chassis_failed_start');
    const port = await freePort();
    const closed: string[] = [];
    const failing = defineService<NotesDb>()({
      ...notesService,
      name: 'failing',
      async setup(ctx) {
        await notesService.setup(ctx);
        ctx.onClose(() => void closed.push('first'));
        ctx.onClose(() => void closed.push('second'));
      },
    });
    // The listen is what fails: another server holds the port.
    const holder = createServer();
    await new Promise<void>((resolve) => holder.listen(port, '127.0.0.1', resolve));
    try {
      await assert.rejects(
        startService(failing, { env: { DATABASE_URL: db.url, LOG_LEVEL: 'silent', PORT: String(port) } }),
        /EADDRINUSE/,
      );
      assert.deepEqual(closed, ['second', 'first'], 'close hooks run, last added first');
      // A backend leaves pg_stat_activity a moment after its client hung up: wait for that, naming any that stay.
      let open: string[] = [];
      await waitFor(
        async () => {
          const { rows } = await pg(
            db.url,
            `select application_name as app from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()`,
          );
          open = rows.map((r: { app: string }) => r.app || '(unnamed)');
          return open.length === 0;
        },
        { timeoutMs: 5_000, what: 'every database connection of the failed start to close' },
      ).catch(() => assert.deepEqual(open, [], 'the pool is closed'));
    } finally {
      await new Promise((resolve) => holder.close(resolve));
    }
    // With the port free, the same definition starts: nothing of the failed attempt is in the way.
    const ok = await startService(failing, { env: { DATABASE_URL: db.url, LOG_LEVEL: 'silent', PORT: String(port) } });
    await ok.stop();
    await db.drop();
  });
});

describe('malformed URLs are problems too', () => {
  test('bad percent-encoding', async () => {
    const res = await call('GET', '/api/v1/notes/%zz');
    assertProblem(res, 400, 'SOUK_REQUEST_INVALID');
    assert.match(res.json.detail, /percent-encoding/);
  });
  test('an overlong path parameter', async () => {
    assertProblem(await call('GET', `/api/v1/notes/${'a'.repeat(500)}`), 414, 'SOUK_REQUEST_URI_TOO_LONG');
  });
});

describe('keys for token checks', () => {
  test("are fetched from identity through discovery, without the caller's token", async () => {
    const seen: { authorization?: string; requestId?: string }[] = [];
    const fakeIdentity = createServer((req, res) => {
      seen.push({ authorization: req.headers.authorization, requestId: req.headers['x-request-id'] as string | undefined });
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(issuer.jwks));
    });
    await new Promise<void>((resolve) => fakeIdentity.listen(0, '127.0.0.1', resolve));
    const identityUrl = `http://127.0.0.1:${(fakeIdentity.address() as AddressInfo).port}`;
    const db = await createTestDatabase('chassis_jwks');
    const other = await startService(notesService, {
      env: { DATABASE_URL: db.url, LOG_LEVEL: 'silent', STATIC_SERVICES: `identity=${identityUrl}` },
    });
    try {
      const token = await issuer.token({ roles: ['admin'] });
      const res = await request(`${other.url}/api/v1/notes/1`, {
        method: 'DELETE',
        headers: { authorization: `Bearer ${token}`, 'x-request-id': 'caller-1' },
      });
      assert.equal(res.statusCode, 204);
      assert.equal(seen.length, 1);
      assert.equal(seen[0]!.authorization, undefined);
      assert.notEqual(seen[0]!.requestId, 'caller-1');
    } finally {
      await other.stop();
      await db.drop();
      fakeIdentity.close();
    }
  });
});

describe("values the database refuses are the client's 4xx", () => {
  test('a NUL character in text', async () => {
    const token = await issuer.token();
    const res = await call('POST', '/api/v1/notes', {
      body: JSON.stringify({ text: 'nul \u0000 here' }),
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    });
    assertProblem(res, 400, 'SOUK_REQUEST_INVALID');
    assert.match(res.json.detail, /U\+0000/);
  });
});

describe('requests the HTTP parser refuses are problems too', () => {
  async function raw(text: string): Promise<string> {
    const { hostname, port } = new URL(svc.url);
    const socket = connect({ host: hostname, port: Number(port) });
    socket.end(text);
    let out = '';
    for await (const chunk of socket) out += chunk;
    return out;
  }
  test('oversized headers: 431', async () => {
    const out = await raw(`GET /api/v1/notes-greeting HTTP/1.1\r\nhost: x\r\nx-big: ${'a'.repeat(20_000)}\r\n\r\n`);
    assert.match(out, /^HTTP\/1\.1 431 /);
    assert.match(out, /content-type: application\/problem\+json/);
    assert.match(out, /"code":"SOUK_REQUEST_HEADERS_TOO_LARGE"/);
  });
  test('both Content-Length and Transfer-Encoding: 400', async () => {
    const out = await raw(
      'POST /api/v1/echo-after-body HTTP/1.1\r\nhost: x\r\ncontent-length: 5\r\ntransfer-encoding: chunked\r\n\r\n0\r\n\r\n',
    );
    assert.match(out, /^HTTP\/1\.1 400 /);
    assert.match(out, /"code":"SOUK_REQUEST_MALFORMED_HTTP"/);
  });
});
