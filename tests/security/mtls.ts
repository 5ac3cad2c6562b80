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
import type { Devhost } from '../system/devhost-harness.ts';
import { shop } from '../system/shop-client.ts';
import { CERT_LIFETIME_S, type SecurityRun } from './run.ts';
import { ensureDevCa, issueCertificate } from '../../tools/devhost/src/pki.ts';
import { devhostClientTls } from '../../tools/devhost/src/certificates.ts';

export function mtlsAttacks(run: SecurityRun): void {
  let devhost: Devhost;
  let foreignDir: string;
  before(async () => {
    devhost = run.devhost;
    foreignDir = await mkdtemp(path.join(tmpdir(), 'souk-foreign-ca-'));
  });
  after(() => rm(foreignDir, { recursive: true, force: true }));

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

  test('certificates are reissued and taken up during a checkout burst, without a failed request', async () => {
    // The instances on a checkout's path, whose certificates must each be reissued twice while it runs.
    const instances = await devhost.instances();
    const watched = ['catalog', 'orders', 'payments', 'inventory'].map((service) => {
      const instance = instances.find((i) => i.service === service && i.state === 'ready');
      assert.ok(instance, `a ready ${service} instance`);
      const certFile = path.join(devhost.dataDir, 'pki', 'instances', instance.instanceId, 'cert.pem');
      return { instance, serialOfFile: async () => new X509Certificate(await readFile(certFile)).serialNumber.toLowerCase() };
    });
    const s = shop(devhost.gateway);
    const admin = await s.login('admin@souk.local', await devhost.secret('admin-password'));
    const product = ((await s.api('/api/v1/catalog/products?pageSize=1')).body.items as { id: string }[])[0]!.id;
    assert.equal((await s.setStock(admin, product, 100_000)).status, 200);
    const shoppers = await Promise.all(Array.from({ length: 4 }, (_, i) => s.signUp(`Rotation${i}`)));

    const tally = { reads: 0, checkouts: 0, failures: [] as string[] };
    let stop = false;
    const expect = (what: string, res: { status: number; body: unknown }, ok: number[]) => {
      if (!ok.includes(res.status)) tally.failures.push(`${what}: ${res.status} ${JSON.stringify(res.body)}`);
      return ok.includes(res.status);
    };
    let read = 0;
    const readers = Array.from({ length: 2 }, async () => {
      while (!stop) {
        // A query of its own each time: a repeated one would be answered by the gateway's response cache,
        // and these reads are about the gateway's hop to catalog.
        const res = await s
          .api(`/api/v1/catalog/products?read=${read++}`)
          .catch((err: Error) => ({ status: 0, body: err.message }));
        if (expect('catalog read', res, [200])) tally.reads++;
      }
    });
    // Each shopper: add to the cart, check out and wait for the order to be final, again and again.
    const buyers = shoppers.map(async (shopper) => {
      while (!stop) {
        const failed = (err: Error) => ({ status: 0, body: err.message });
        if (!expect('add to cart', await s.addToCart(shopper.token, product, 1).catch(failed), [200, 201])) continue;
        const placed = await s.checkout(shopper.token, { waitSeconds: 20 }).catch(failed);
        if (!expect('checkout', placed, [201, 202])) continue;
        const id = (placed.body as { id: string }).id;
        const order = await waitFor(
          async () => {
            const o = (await s.order(shopper.token, id)).body as { status: string };
            return o.status === 'CONFIRMED' || o.status === 'CANCELLED' ? o : undefined;
          },
          { timeoutMs: 30_000, intervalMs: 100, what: `order ${id} to be final` },
        );
        if (order.status === 'CONFIRMED') tally.checkouts++;
        else tally.failures.push(`order ${id}: ${JSON.stringify(order)}`);
      }
    });
    try {
      // Each certificate twice reissued and presented (the reissues of the four run side by side).
      await Promise.all(
        watched.map(async ({ instance, serialOfFile }) => {
          for (let round = 0, previous = await serialOfFile(); round < 2; round++) {
            await waitFor(async () => (await serialOfFile()) !== previous, {
              timeoutMs: CERT_LIFETIME_S * 1000 * 2,
              intervalMs: 200,
              what: `the ${instance.service} certificate to be reissued`,
            });
            const current = (previous = await serialOfFile());
            await waitFor(async () => (await presentedCertificate(instance.url)).serialNumber.toLowerCase() === current, {
              timeoutMs: 10_000,
              intervalMs: 100,
              what: `the ${instance.service} instance to present its new certificate`,
            });
          }
        }),
      );
    } finally {
      stop = true;
      await Promise.all([...readers, ...buyers]);
    }
    assert.deepEqual(tally.failures, []);
    assert.ok(tally.reads > 0 && tally.checkouts >= 4, JSON.stringify(tally));
    for (const { instance } of watched) {
      const now = (await devhost.instances()).find((i) => i.instanceId === instance.instanceId)!;
      assert.equal(now.restarts, instance.restarts, `${instance.instanceId} took its new certificates without a restart`);
    }
  });
}
