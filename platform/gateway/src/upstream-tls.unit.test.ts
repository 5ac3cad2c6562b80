// The gateway's pools to https: instances: mutual TLS with the gateway's certificate, the
// instance's SPIFFE id checked against the service discovery lists at that origin.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { loadServiceTls } from '@souk/chassis';
import { ensureDevCa, issueCertificate, writeTlsFiles } from '../../../tools/devhost/src/pki.ts';
import type { AttemptFailure } from './forward.ts';
import { createUpstreamPools, type PooledExchange, type UpstreamPools } from './upstream-pools.ts';

function get(
  pools: UpstreamPools,
  url: string,
): Promise<{ status?: number; body: string; failure?: AttemptFailure; error?: Error }> {
  const target = pools.target(url);
  const seen: { status?: number; body: string; failure?: AttemptFailure; error?: Error } = { body: '' };
  return new Promise((resolve) => {
    const exchange: PooledExchange = {
      head: `GET / HTTP/1.1\r\nhost: ${target.host}\r\n\r\n`,
      body: undefined,
      bodyStream: undefined,
      headOnly: false,
      timeoutMs: 5_000,
      connection: undefined,
      onHeaders: (status) => void (seen.status = status),
      onData: (chunk) => ((seen.body += chunk.toString()), true),
      flush() {},
      onEnd: () => resolve(seen),
      onError: (failure, error) => resolve(Object.assign(seen, { failure, error })),
    };
    target.pool.send(exchange);
  });
}

test("https: upstreams are called with the gateway's certificate and must prove the service discovery names", async (t) => {
  const dir = await mkdtemp(path.join(tmpdir(), 'souk-gw-tls-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const ca = await ensureDevCa(path.join(dir, 'ca'));
  const lifetimeMs = 3600_000;
  const gatewayFiles = await writeTlsFiles(
    path.join(dir, 'gateway'),
    ca,
    await issueCertificate(ca, { service: 'gateway', instanceId: 'gateway-1', lifetimeMs }),
  );
  const catalog = await issueCertificate(ca, { service: 'catalog', instanceId: 'catalog-1', lifetimeMs });
  const server = createServer(
    { cert: catalog.certPem, key: catalog.keyPem, ca: ca.certPem, requestCert: true, rejectUnauthorized: true },
    (req, res) => {
      const peer = (req.socket as TLSSocket).getPeerCertificate();
      res.end(String(peer.subjectaltname));
    },
  );
  let handshakes = 0;
  server.on('secureConnection', (socket: TLSSocket) => void (socket.isSessionReused() || handshakes++));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  server.keepAliveTimeout = 100; // so that later requests need new connections
  const url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const tls = await loadServiceTls(gatewayFiles, pino({ level: 'silent' }));
  t.after(() => tls.close());

  let listedAs = 'catalog';
  const pools = createUpstreamPools({ connections: 2, connectTimeoutMs: 2_000 }, { tls, serviceOf: () => listedAs });
  t.after(() => pools.close());
  const first = await get(pools, url);
  assert.equal(first.status, 200, String(first.error));
  assert.equal(first.body, 'URI:spiffe://souk.local/gateway', 'the server saw the gateway certificate');

  // Many at once: new connections (resuming the TLS session) and reused ones.
  const many = await Promise.all(Array.from({ length: 10 }, () => get(pools, url)));
  assert.deepEqual(
    many.map((r) => r.status ?? String(r.error)),
    many.map(() => 200),
  );

  // The same address listed for another service: the certificate does not say so, nothing is sent.
  listedAs = 'payments';
  const other = createUpstreamPools({ connections: 2, connectTimeoutMs: 2_000 }, { tls, serviceOf: () => listedAs });
  t.after(() => other.close());
  const refused = await get(other, url);
  assert.equal(refused.status, undefined);
  assert.equal(refused.failure, 'connect');
  assert.equal((refused.error as NodeJS.ErrnoException).code, 'ERR_SOUK_TLS_IDENTITY');

  // Without the gateway's certificate (a plain pool cannot reach https: at all).
  assert.throws(
    () => createUpstreamPools({ connections: 1, connectTimeoutMs: 1_000 }).target(url),
    /needs the gateway's certificate/,
  );
  assert.ok(handshakes >= 1);
});
