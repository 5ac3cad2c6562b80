// Mutual TLS between real chassis instances: who may connect, who a client accepts,
// the caller's identity in handlers, and certificate rotation under load without a failed request.
// Certificates come from the devhost's own issuer (tools/devhost/src/pki.ts), the one that runs them.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { connect, type ConnectionOptions, type PeerCertificate } from 'node:tls';
import { readFileSync } from 'node:fs';
import { pino } from 'pino';
import { Agent, fetch as undiciFetch } from 'undici';
import { ensureDevCa, issueCertificate, writeTlsFiles, type DevCa, type TlsPaths } from '../../../../tools/devhost/src/pki.ts';
import { createBreakers } from '../client/breakers.ts';
import { createServiceClient } from '../client/service-client.ts';
import { staticDiscovery } from '../discovery/static-discovery.ts';
import { defineService, startService, type RunningService } from '../service.ts';
import { waitFor } from '../testing/wait-for.ts';
import { callerIdentity } from './spiffe.ts';
import { loadServiceTls, type ServiceTls } from './service-tls.ts';
import { tlsFetch } from './connector.ts';

const log = pino({ level: 'silent' });
let dir: string;
let ca: DevCa;
let foreignCa: DevCa;
let serverPaths: TlsPaths;
let clientPaths: TlsPaths;
let foreignPaths: TlsPaths;
let running: RunningService;
let clientTls: ServiceTls;
const cleanups: (() => Promise<void> | void)[] = [];

const echo = defineService({
  name: 'orders',
  version: '0.0.1',
  setup(ctx) {
    ctx.app.get('/who', async (request) => {
      const caller = callerIdentity(request);
      return { service: caller?.service ?? null, instanceId: caller?.instanceId ?? null, serial: caller?.serial ?? null };
    });
  },
});

async function issue(into: string, authority: DevCa, service: string, instanceId: string): Promise<TlsPaths> {
  const issued = await issueCertificate(authority, { service, instanceId, lifetimeMs: 3600_000 });
  return writeTlsFiles(path.join(dir, into), authority, issued);
}

before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'souk-tls-'));
  ca = await ensureDevCa(path.join(dir, 'ca'));
  foreignCa = await ensureDevCa(path.join(dir, 'foreign-ca'));
  serverPaths = await issue('orders-1', ca, 'orders', 'orders-1');
  clientPaths = await issue('cart-1', ca, 'cart', 'cart-1');
  foreignPaths = await issue('intruder', foreignCa, 'cart', 'cart-9');
  running = await startService(echo, {
    env: {
      LOG_LEVEL: 'silent',
      INSTANCE_ID: 'orders-1',
      METRICS_CALLERS: 'telemetry',
      TLS_CERT_FILE: serverPaths.certFile,
      TLS_KEY_FILE: serverPaths.keyFile,
      TLS_CA_FILE: serverPaths.caFile,
    },
  });
  clientTls = await loadServiceTls(clientPaths, log);
  cleanups.push(() => clientTls.close());
});

after(async () => {
  for (const fn of cleanups.reverse()) await fn();
  await running?.stop();
  await rm(dir, { recursive: true, force: true });
});

function client(service: string, tls: ServiceTls = clientTls) {
  const c = createServiceClient({
    service,
    discovery: staticDiscovery({ [service]: [running.url] }),
    breakers: createBreakers({ log }),
    log,
    options: { attempts: 1 },
    tls,
  });
  cleanups.push(() => c.close());
  return c;
}

/** One request over a connection made with `options`; resolves with the status, rejects with the TLS error. */
function rawGet(options: ConnectionOptions): Promise<number> {
  const url = new URL(running.url);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: url.hostname, port: Number(url.port), checkServerIdentity: () => undefined, ...options });
    socket.once('error', reject);
    socket.once('secureConnect', () => socket.write(`GET /who HTTP/1.1\r\nhost: ${url.host}\r\nconnection: close\r\n\r\n`));
    let text = '';
    socket.on('data', (d: Buffer) => (text += d.toString('latin1')));
    socket.once('close', () => {
      const status = /^HTTP\/1\.1 (\d{3})/.exec(text)?.[1];
      if (status) resolve(Number(status));
      else reject(Object.assign(new Error('closed without an HTTP answer'), { code: 'NO_ANSWER' }));
    });
  });
}

test('a TLS instance registers an https: URL and answers a caller with a certificate from the CA, knowing who it is', async () => {
  assert.match(running.url, /^https:\/\//);
  const res = await client('orders').request<{ service: string; instanceId: string; serial: string }>({
    method: 'GET',
    path: '/who',
  });
  assert.equal(res.status, 200);
  assert.deepEqual(res.body, { service: 'cart', instanceId: 'cart-1', serial: clientTls.serial });
});

test('a caller without a client certificate is refused during the handshake: no HTTP answer', async () => {
  const ca = readFileSync(serverPaths.caFile);
  await assert.rejects(rawGet({ ca }), (err: NodeJS.ErrnoException) => {
    assert.notEqual(err.code, undefined);
    return true;
  });
});

test('a caller with a certificate from another CA is refused during the handshake', async () => {
  const f = {
    cert: readFileSync(foreignPaths.certFile),
    key: readFileSync(foreignPaths.keyFile),
    ca: readFileSync(serverPaths.caFile),
  };
  await assert.rejects(rawGet(f), (err: NodeJS.ErrnoException) => {
    assert.notEqual(err.code, undefined);
    return true;
  });
  // The same request with the CA's certificate is answered: the refusal is about the certificate.
  const good = {
    cert: readFileSync(clientPaths.certFile),
    key: readFileSync(clientPaths.keyFile),
    ca: readFileSync(serverPaths.caFile),
  };
  assert.equal(await rawGet(good), 200);
});

test('a client refuses a server whose certificate names another service', async () => {
  await assert.rejects(client('payments').request({ method: 'GET', path: '/who' }), (err: Error & { cause?: unknown }) => {
    assert.match(JSON.stringify(describeChain(err)), /ERR_SOUK_TLS_IDENTITY|spiffe:\/\/souk\.local\/payments/);
    return true;
  });
  const fetched = tlsFetch(clientTls, 'payments');
  cleanups.push(() => fetched.close());
  await assert.rejects(fetched.fetch(`${running.url}/who`), (err: Error) => {
    assert.match(JSON.stringify(describeChain(err)), /ERR_SOUK_TLS_IDENTITY/);
    return true;
  });
});

test("the admin listener is mutual TLS too and answers only ADMIN_CALLERS' certificates (default: the devhost's)", async () => {
  assert.match(running.adminUrl, /^https:\/\//);
  const operatorTls = await loadServiceTls(await issue('devhost', ca, 'devhost', 'devhost'), log);
  cleanups.push(() => operatorTls.close());
  const operator = tlsFetch(operatorTls, 'orders');
  const cart = tlsFetch(clientTls, 'orders');
  cleanups.push(
    () => operator.close(),
    () => cart.close(),
  );
  const metrics = await operator.fetch(`${running.adminUrl}/metrics`);
  assert.equal(metrics.status, 200);
  assert.match(await metrics.text(), /http_server_request_duration_seconds/);
  // Another service's certificate from the same CA: past the handshake, refused by who it names.
  const refused = await cart.fetch(`${running.adminUrl}/metrics`);
  assert.equal(refused.status, 403);
  assert.match(refused.headers.get('content-type') ?? '', /^application\/problem\+json/);
  assert.equal(((await refused.json()) as { code: string }).code, 'SOUK_AUTH_FORBIDDEN');
  // No certificate (the server trusted): no HTTP answer at all.
  const anonymous = new Agent({ connect: { ca: readFileSync(serverPaths.caFile), checkServerIdentity: () => undefined } });
  cleanups.push(() => anonymous.close());
  await assert.rejects(undiciFetch(`${running.adminUrl}/metrics`, { dispatcher: anonymous }));
});

test("a METRICS_CALLERS certificate (the telemetry scraper's) reads /metrics and nothing else there", async () => {
  const scraperTls = await loadServiceTls(await issue('telemetry', ca, 'telemetry', 'telemetry-1'), log);
  cleanups.push(() => scraperTls.close());
  const scraper = tlsFetch(scraperTls, 'orders');
  cleanups.push(() => scraper.close());
  assert.equal((await scraper.fetch(`${running.adminUrl}/metrics`)).status, 200);
  const resilience = await scraper.fetch(`${running.adminUrl}/_admin/resilience`);
  assert.equal(resilience.status, 403);
  assert.match(((await resilience.json()) as { detail: string }).detail, /\/metrics those of telemetry/);
});

function describeChain(err: unknown): string[] {
  const out: string[] = [];
  for (
    let e = err as { message?: string; code?: string; cause?: unknown } | undefined, i = 0;
    e && i < 6;
    e = e.cause as typeof e, i++
  )
    out.push(`${e.code ?? ''} ${e.message ?? ''}`);
  return out;
}

test('rotation: both sides get new certificates while requests flow on kept and new connections, and none fails', async () => {
  const orders = client('orders');
  const oldServerSerial = running.ctx.tls!.serial;
  const oldClientSerial = clientTls.serial;
  let ok = 0;
  const failures: unknown[] = [];
  let stop = false;
  // Keep-alive connections of the service client.
  const kept = Array.from({ length: 4 }, async () => {
    while (!stop) {
      try {
        const res = await orders.request({ method: 'GET', path: '/who' });
        if (res.status === 200) ok++;
        else failures.push(res.status);
      } catch (err) {
        failures.push(err);
      }
    }
  });
  // A new connection per request.
  const fresh = (async () => {
    while (!stop) {
      const once = tlsFetch(clientTls, 'orders');
      try {
        const res = await once.fetch(`${running.url}/who`);
        await res.text();
        if (res.status === 200) ok++;
        else failures.push(res.status);
      } catch (err) {
        failures.push(err);
      } finally {
        await once.close();
      }
    }
  })();
  await waitFor(() => ok >= 20, { timeoutMs: 10_000, what: 'requests before the rotation' });

  const serverIssued = await issueCertificate(ca, { service: 'orders', instanceId: 'orders-1', lifetimeMs: 3600_000 });
  const clientIssued = await issueCertificate(ca, { service: 'cart', instanceId: 'cart-1', lifetimeMs: 3600_000 });
  await writeTlsFiles(path.dirname(serverPaths.certFile), ca, serverIssued);
  await writeTlsFiles(path.dirname(clientPaths.certFile), ca, clientIssued);
  await waitFor(() => running.ctx.tls!.serial === serverIssued.serial && clientTls.serial === clientIssued.serial, {
    timeoutMs: 10_000,
    what: 'both sides to load the new files',
  });
  const afterRotation = ok;
  await waitFor(() => ok >= afterRotation + 20, { timeoutMs: 10_000, what: 'requests after the rotation' });
  stop = true;
  await Promise.all([...kept, fresh]);

  assert.deepEqual(failures, []);
  assert.notEqual(serverIssued.serial, oldServerSerial);
  assert.notEqual(clientIssued.serial, oldClientSerial);
  // A new connection presents the new client certificate to the server...
  const fetched = tlsFetch(clientTls, 'orders');
  cleanups.push(() => fetched.close());
  const who = (await (await fetched.fetch(`${running.url}/who`)).json()) as { serial: string };
  assert.equal(who.serial.toLowerCase(), clientIssued.serial.toLowerCase());
  // ...and the server presents its new certificate to a new connection.
  const url = new URL(running.url);
  const presented = await new Promise<PeerCertificate>((resolve, reject) => {
    const socket = connect({
      host: url.hostname,
      port: Number(url.port),
      secureContext: clientTls.clientContext(),
      checkServerIdentity: () => undefined,
    });
    socket.once('error', reject);
    socket.once('secureConnect', () => {
      resolve(socket.getPeerCertificate());
      socket.destroy();
    });
  });
  assert.equal(presented.serialNumber.toLowerCase(), serverIssued.serial.toLowerCase());
});

// Bounded: without the sweep of unused connections the stop waited for Node's headers timeout (60 s).
test(
  'a stop over TLS waits for the request in flight, and not for a connection that never sent one',
  { timeout: 20_000 },
  async () => {
    let open!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    let entered!: () => void;
    const inHandler = new Promise<void>((resolve) => (entered = resolve));
    const slow = defineService({
      name: 'orders',
      version: '0.0.1',
      setup(ctx) {
        ctx.app.get('/slow', async () => {
          entered();
          await gate;
          return { done: true };
        });
      },
    });
    // A forced close far away: the stop must end when the request is done, not at a deadline.
    const instance = await startService(slow, {
      env: {
        LOG_LEVEL: 'silent',
        INSTANCE_ID: 'orders-2',
        SHUTDOWN_TIMEOUT_MS: '600000',
        TLS_CERT_FILE: serverPaths.certFile,
        TLS_KEY_FILE: serverPaths.keyFile,
        TLS_CA_FILE: serverPaths.caFile,
      },
    });
    try {
      const url = new URL(instance.url);
      const tlsOptions = {
        host: url.hostname,
        port: Number(url.port),
        ca: readFileSync(clientPaths.caFile),
        cert: readFileSync(clientPaths.certFile),
        key: readFileSync(clientPaths.keyFile),
        checkServerIdentity: () => undefined,
      };
      // A client's spare connection: handshake done, no request ever (Node's idle sweep does not count it idle).
      const unused = connect(tlsOptions);
      await new Promise((resolve) => unused.once('secureConnect', resolve));
      const unusedClosed = new Promise((resolve) => unused.once('close', resolve));
      // The request in flight, on its own connection.
      const busy = connect(tlsOptions);
      let answer = '';
      busy.on('data', (d: Buffer) => (answer += d.toString('latin1')));
      busy.once('secureConnect', () => busy.write(`GET /slow HTTP/1.1\r\nhost: ${url.host}\r\n\r\n`));
      const answered = new Promise((resolve) => busy.once('close', resolve));
      await inHandler;

      const stopping = instance.stop();
      let stopped = false;
      void stopping.then(() => (stopped = true));
      await unusedClosed;
      assert.equal(stopped, false, 'the stop waits for the request in flight');
      open();
      await answered;
      assert.match(answer, /^HTTP\/1\.1 200/);
      assert.match(answer, /"done":true/);
      await stopping;
    } finally {
      open();
      await instance.stop();
    }
  },
);
