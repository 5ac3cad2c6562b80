// TLS termination at the gateway: with GATEWAY_TLS_PORT it serves HTTPS beside plain HTTP, on its own
// certificate from the dev CA (which names localhost), without asking users for a certificate; the upstream
// learns the request came over HTTPS; a rotated certificate is what the next connection gets.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { connect } from 'node:tls';
import { Agent, request } from 'undici';
import type { RunningService } from '@souk/chassis';
import { freePort, waitFor } from '@souk/chassis/testing';
import { ensureDevCa, issueCertificate, writeTlsFiles, type DevCa } from '../../../tools/devhost/src/pki.ts';
import { startGateway, startUpstream, type Upstream } from './harness.ts';

let dir: string;
let ca: DevCa;
let upstream: Upstream;
let gateway: RunningService;
let tlsPort: number;
let trusting: Agent;

const issue = () =>
  issueCertificate(ca, {
    service: 'gateway',
    instanceId: 'gateway-1',
    lifetimeMs: 3600_000,
    hostnames: ['localhost', '127.0.0.1'],
  });

before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'souk-edge-tls-'));
  ca = await ensureDevCa(path.join(dir, 'ca'));
  const files = await writeTlsFiles(path.join(dir, 'gateway-1'), ca, await issue());
  upstream = await startUpstream();
  tlsPort = await freePort();
  gateway = await startGateway({
    services: { catalog: [upstream.url] },
    env: {
      GATEWAY_TLS_PORT: String(tlsPort),
      TLS_CERT_FILE: files.certFile,
      TLS_KEY_FILE: files.keyFile,
      TLS_CA_FILE: files.caFile,
    },
  });
  trusting = new Agent({ connect: { ca: ca.certPem } });
});
after(async () => {
  await trusting?.close();
  await gateway?.stop();
  await upstream?.close();
  await rm(dir, { recursive: true, force: true });
});

/** The serial number of the certificate a new connection to the HTTPS port is shown. */
function servedSerial(): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port: tlsPort, servername: 'localhost', ca: ca.certPem }, () => {
      const serial = socket.getPeerCertificate().serialNumber.toLowerCase();
      socket.end();
      resolve(serial);
    });
    socket.once('error', reject);
  });
}

test('HTTPS for localhost, trusted through the dev CA, no client certificate; upstream sees x-forwarded-proto https', async () => {
  const res = await request(`https://localhost:${tlsPort}/api/v1/catalog/products`, { dispatcher: trusting });
  assert.equal(res.statusCode, 200);
  assert.equal(((await res.body.json()) as { url: string }).url, '/api/v1/catalog/products');
  assert.equal(upstream.received.at(-1)!.headers['x-forwarded-proto'], 'https');
  // The plain port still serves, and says so upstream.
  const plain = await request(`${gateway.url}/api/v1/catalog/products`);
  assert.equal(plain.statusCode, 200);
  await plain.body.dump();
  assert.equal(upstream.received.at(-1)!.headers['x-forwarded-proto'], 'http');
  // Refusals are problems over HTTPS too.
  const missing = await request(`https://localhost:${tlsPort}/api/v1/nothing-here`, { dispatcher: trusting });
  assert.equal(missing.statusCode, 404);
  assert.match(String(missing.headers['content-type']), /^application\/problem\+json/);
  await missing.body.dump();
});

test('a rotated certificate is served to the next connection, without a restart', async () => {
  const before = await servedSerial();
  const next = await issue();
  await writeTlsFiles(path.join(dir, 'gateway-1'), ca, next);
  await waitFor(async () => (await servedSerial()) === next.serial.toLowerCase(), {
    timeoutMs: 10_000,
    what: 'the new certificate served',
  });
  assert.notEqual(before, next.serial.toLowerCase());
  const res = await request(`https://localhost:${tlsPort}/api/v1/catalog/products`, { dispatcher: trusting });
  assert.equal(res.statusCode, 200);
  await res.body.dump();
});
