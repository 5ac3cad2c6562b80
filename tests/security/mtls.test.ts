// Service identity by mutual TLS against the running devhost: an instance refuses a caller
// without a client certificate or with one from another CA, during the handshake; it answers
// the devhost's certificate; and certificates rotate under traffic without a failed request.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { X509Certificate } from 'node:crypto';
import { connect, type PeerCertificate } from 'node:tls';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Agent, fetch as undiciFetch } from 'undici';
import { waitFor } from '@souk/chassis/testing';
import { startDevhost, type Devhost } from '../system/devhost-harness.ts';
import { ensureDevCa, issueCertificate } from '../../tools/devhost/src/pki.ts';
import { devhostClientTls } from '../../tools/devhost/src/certificates.ts';

/** Short enough that the test sees each certificate reissued (at half of it) within a few seconds. */
const CERT_LIFETIME_S = 16;

let devhost: Devhost;
let foreignDir: string;

before(async () => {
  foreignDir = await mkdtemp(path.join(tmpdir(), 'souk-foreign-ca-'));
  devhost = await startDevhost(['--cert-lifetime', String(CERT_LIFETIME_S)]);
});

after(async () => {
  await devhost?.stop();
  await rm(foreignDir, { recursive: true, force: true });
});

async function catalogUrl(): Promise<string> {
  const catalog = (await devhost.instances()).find((i) => i.service === 'catalog' && i.state === 'ready');
  assert.ok(catalog, 'a ready catalog instance');
  return catalog.url;
}

/** A GET with these TLS options; rejects when the connection fails before any HTTP answer. */
async function getWith(url: string, connectOptions: Record<string, unknown>): Promise<number> {
  const dispatcher = new Agent({ connect: { checkServerIdentity: () => undefined, ...connectOptions } });
  try {
    const res = await undiciFetch(`${url}/health/live`, { dispatcher });
    await res.arrayBuffer();
    return res.status;
  } finally {
    await dispatcher.close();
  }
}

test('instances serve https: and the public gateway plain http:', async () => {
  assert.match(await catalogUrl(), /^https:\/\//);
  assert.match(devhost.gateway, /^http:\/\//);
  const res = await fetch(`${devhost.gateway}/api/v1/catalog/products`);
  assert.equal(res.status, 200);
});

test('a call without a client certificate is refused during the TLS handshake', async () => {
  const { ca } = devhostClientTls(devhost.dataDir)!;
  await assert.rejects(getWith(await catalogUrl(), { ca }), (err: Error) => {
    assert.equal(err.name, 'TypeError'); // fetch failed: no HTTP answer at all
    return true;
  });
});

test('a call with a certificate from another CA is refused during the TLS handshake', async () => {
  const foreign = await ensureDevCa(foreignDir);
  const issued = await issueCertificate(foreign, { service: 'catalog', instanceId: 'catalog-1', lifetimeMs: 3600_000 });
  const { ca } = devhostClientTls(devhost.dataDir)!;
  await assert.rejects(getWith(await catalogUrl(), { ca, cert: issued.certPem, key: issued.keyPem }), (err: Error) => {
    assert.equal(err.name, 'TypeError');
    return true;
  });
});

test("a call with the devhost's certificate is answered", async () => {
  const res = await devhost.fetch(`${await catalogUrl()}/health/ready`);
  assert.equal(res.status, 200);
  assert.equal(await getWith(await catalogUrl(), { ...devhostClientTls(devhost.dataDir)! }), 200);
});

function presentedCertificate(url: string): Promise<PeerCertificate> {
  const { hostname, port } = new URL(url);
  const tls = devhostClientTls(devhost.dataDir)!;
  return new Promise((resolve, reject) => {
    const socket = connect({ host: hostname, port: Number(port), ...tls, checkServerIdentity: () => undefined });
    socket.once('error', reject);
    socket.once('secureConnect', () => {
      resolve(socket.getPeerCertificate());
      socket.destroy();
    });
  });
}

test('certificates are reissued and taken up while requests flow through the gateway, without a failed request', async () => {
  const url = await catalogUrl();
  const catalog = (await devhost.instances()).find((i) => i.url === url)!;
  const certFile = path.join(devhost.dataDir, 'pki', 'instances', catalog.instanceId, 'cert.pem');
  const serialOfFile = async () => new X509Certificate(await readFile(certFile)).serialNumber.toLowerCase();
  const before = await serialOfFile();
  let ok = 0;
  const failures: string[] = [];
  let stop = false;
  const load = Array.from({ length: 2 }, async () => {
    while (!stop) {
      const res = await fetch(`${devhost.gateway}/api/v1/catalog/products`).catch((err: Error) => err);
      if (res instanceof Error) failures.push(res.message);
      else {
        await res.arrayBuffer();
        if (res.status === 200) ok++;
        else failures.push(String(res.status));
      }
    }
  });
  try {
    // Two reissues of the catalog's certificate, each taken up by the running instance.
    for (let round = 0; round < 2; round++) {
      const previous = round === 0 ? before : await serialOfFile();
      await waitFor(async () => (await serialOfFile()) !== previous, {
        timeoutMs: CERT_LIFETIME_S * 1000 * 2,
        intervalMs: 200,
        what: 'the catalog certificate to be reissued',
      });
      const current = await serialOfFile();
      await waitFor(async () => (await presentedCertificate(url)).serialNumber.toLowerCase() === current, {
        timeoutMs: 10_000,
        intervalMs: 100,
        what: 'the catalog instance to present its new certificate',
      });
    }
  } finally {
    stop = true;
    await Promise.all(load);
  }
  assert.ok(ok > 0, 'requests went through');
  assert.deepEqual(failures, []);
  const restarted = (await devhost.instances()).find((i) => i.instanceId === catalog.instanceId)!;
  assert.equal(restarted.restarts, 0, 'the instance took its new certificate without a restart');
});
