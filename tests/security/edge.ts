// Attacks on the public edge of the running devhost (issue 11): the ops paths
// on the gateway's port, anonymously and as a customer; a client that sends
// its headers slowly; and where the ops endpoints are now (each instance's
// admin listener).

import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import type { Devhost } from '../system/devhost-harness.ts';
import type { SecurityRun } from './run.ts';
import { shop } from '../system/shop-client.ts';

export function edgeAttacks(run: SecurityRun): void {
  let devhost: Devhost;
  let customerToken: string;
  before(async () => {
    devhost = run.devhost;
    customerToken = (await shop(devhost.gateway).signUp('Edge')).token;
  });

  test('ops paths are refused on the public port, anonymously and with a customer token', async () => {
    for (const path of ['/_admin/resilience', '/metrics', '/api/v1/order-history/lag', '/_admin/events', '/_admin/sagas']) {
      for (const token of [undefined, customerToken]) {
        const res = await fetch(`${devhost.gateway}${path}`, token ? { headers: { authorization: `Bearer ${token}` } } : {});
        const body = await res.text();
        assert.equal(res.status, 404, `${path} ${token ? 'as a customer' : 'anonymously'}: ${body}`);
        assert.match(res.headers.get('content-type') ?? '', /^application\/problem\+json/);
        assert.equal((JSON.parse(body) as { code: string }).code, 'SOUK_ROUTE_NOT_FOUND');
        // Nothing of what these would show leaks into the refusal.
        assert.doesNotMatch(body, /breakers|http_server|lagSeconds|127\.0\.0\.1:\d+/);
      }
    }
  });

  test('public readiness says ready, not why: no check names, hosts or driver errors', async () => {
    const res = await fetch(`${devhost.gateway}/health/ready`);
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { status: 'up' });
  });

  test(
    'a client that sends its headers a byte at a time is cut off once the header timeout passes',
    { timeout: 60_000 },
    async () => {
      const { hostname, port } = new URL(devhost.gateway);
      const socket = connect({ host: hostname === 'localhost' ? '127.0.0.1' : hostname, port: Number(port) });
      let received = '';
      socket.on('data', (c: Buffer) => (received += c.toString('latin1')));
      socket.on('error', () => undefined);
      const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
      await new Promise<void>((resolve) => socket.once('connect', resolve));
      socket.write('GET /api/v1/catalog/products HTTP/1.1\r\nhost: souk\r\nx-slow: ');
      // One header byte at a time, never ending the header block: only the gateway's timeout ends this.
      const drip = setInterval(() => socket.writable && socket.write('a'), 200);
      try {
        await closed;
      } finally {
        clearInterval(drip);
      }
      assert.match(received, /^HTTP\/1\.1 408 /);
    },
  );

  test("each instance's admin listener answers /metrics; the gateway's shows its upstream counters", async () => {
    const instances = await devhost.instances();
    const gateway = instances.find((i) => i.service === 'gateway');
    assert.ok(gateway, 'the devhost lists the gateway');
    assert.notEqual(new URL(gateway.adminUrl).port, new URL(gateway.url).port);
    // Admin listeners are mutual TLS, the gateway's too: the devhost's certificate is the operator's.
    assert.match(gateway.adminUrl, /^https:\/\//);
    await fetch(`${devhost.gateway}/api/v1/catalog/products`);
    const metrics = await devhost.fetch(`${gateway.adminUrl}/metrics`);
    assert.equal(metrics.status, 200);
    assert.match(await metrics.text(), /souk_gateway_upstream_requests_total/);
    const catalog = instances.find((i) => i.service === 'catalog')!;
    assert.match(await (await devhost.fetch(`${catalog.adminUrl}/metrics`)).text(), /http_server_request_duration_seconds/);
    // The service's own port takes callers with a certificate (mTLS): the devhost's, here.
    assert.equal((await devhost.fetch(`${catalog.url}/metrics`)).status, 404, 'not on the public port of a service either');
    // Admin routes that need an admin token still do on the admin listener.
    const orders = instances.find((i) => i.service === 'orders')!;
    assert.equal((await devhost.fetch(`${orders.adminUrl}/_admin/events`)).status, 401);
  });
}
