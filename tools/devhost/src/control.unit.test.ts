// The control listener: only the console's certificate is answered; it lists the instances and carries out
// an action, refusing one that does not fit (409) or names no instance (404). Real mutual TLS with
// certificates from a dev CA made here; the instances are stand-ins that record what they were asked.

import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { Agent, fetch } from 'undici';
import { serverIdentityCheck } from '@souk/chassis/spiffe';
import type { ClientTls } from './certificates.ts';
import { startControlServer } from './control.ts';
import { ensureDevCa, issueCertificate } from './pki.ts';
import { ActionRefused, type ManagedInstance, type OperatorAction } from './supervisor.ts';

const dir = await mkdtemp(path.join(tmpdir(), 'souk-control-'));
after(() => rm(dir, { recursive: true, force: true }));
const ca = await ensureDevCa(path.join(dir, 'pki'));
async function tlsOf(service: string): Promise<ClientTls> {
  const issued = await issueCertificate(ca, { service, instanceId: `${service}-1`, lifetimeMs: 3600_000 });
  return { cert: Buffer.from(issued.certPem), key: Buffer.from(issued.keyPem), ca: Buffer.from(ca.certPem) };
}
const [devhost, consoleTls, ordersTls] = await Promise.all([tlsOf('devhost'), tlsOf('console'), tlsOf('orders')]);

const asked: string[] = [];
const payments = {
  instanceId: 'payments-1',
  spec: { service: 'payments', url: 'https://127.0.0.1:1', adminUrl: 'https://127.0.0.1:2' },
  state: 'ready',
  pid: 4242,
  restarts: 1,
  startedAtMs: Date.parse('2026-12-07T10:00:00Z'),
  async operate(action: OperatorAction) {
    asked.push(action);
    if (action === 'resume') throw new ActionRefused('payments-1 is ready, not paused');
    return action === 'kill' ? 'killed' : action === 'pause' ? 'paused' : 'starting';
  },
} as unknown as ManagedInstance;

const server = await startControlServer(
  { instances: () => [payments], tls: () => devhost, stopTimeoutMs: 1000, info: () => {} },
  0,
);
after(() => server.close());

async function call(tls: ClientTls, method: string, pathname: string) {
  const dispatcher = new Agent({ connect: { ...tls, checkServerIdentity: serverIdentityCheck('devhost') } });
  try {
    const res = await fetch(`${server.url}${pathname}`, { method, dispatcher });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  } finally {
    await dispatcher.close();
  }
}

test('the console lists the instances with their process state', async () => {
  const { status, body } = await call(consoleTls, 'GET', '/instances');
  assert.equal(status, 200);
  assert.deepEqual(body, {
    instances: [
      {
        instanceId: 'payments-1',
        service: 'payments',
        state: 'ready',
        pid: 4242,
        restarts: 1,
        startedAt: '2026-12-07T10:00:00.000Z',
        url: 'https://127.0.0.1:1',
        adminUrl: 'https://127.0.0.1:2',
      },
    ],
  });
});

test("another service's certificate is refused: it can neither list nor kill", async () => {
  for (const [method, pathname] of [
    ['GET', '/instances'],
    ['POST', '/instances/payments-1/kill'],
  ] as const) {
    const { status, body } = await call(ordersTls, method, pathname);
    assert.equal(status, 403);
    assert.equal(body.reason, 'forbidden');
  }
  assert.deepEqual(asked, []);
});

test('an action is carried out and answers the new state; one that does not fit is refused with the reason', async () => {
  assert.deepEqual(await call(consoleTls, 'POST', '/instances/payments-1/pause'), {
    status: 200,
    body: { instanceId: 'payments-1', state: 'paused' },
  });
  assert.deepEqual(await call(consoleTls, 'POST', '/instances/payments-1/resume'), {
    status: 409,
    body: { reason: 'refused', detail: 'payments-1 is ready, not paused' },
  });
  assert.deepEqual(asked, ['pause', 'resume']);
});

test('an unknown instance, action or path is a 404 with its reason', async () => {
  assert.equal((await call(consoleTls, 'POST', '/instances/orders-9/kill')).body.reason, 'unknown-instance');
  assert.equal((await call(consoleTls, 'POST', '/instances/payments-1/explode')).body.reason, 'not-found');
  assert.equal((await call(consoleTls, 'GET', '/')).status, 404);
});
