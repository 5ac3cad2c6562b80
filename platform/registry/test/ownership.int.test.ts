// The registry over mutual TLS with certificates from the devhost's own issuer: an instance registers,
// heartbeats and deregisters only itself (service from its SPIFFE id, instance id from its CN), an
// instance id registered by one service cannot be taken over, reads stay open to any certificate, and
// the real chassis registry client registers with its certificate.

import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Agent, fetch as undiciFetch } from 'undici';
import { defineService, startService, type RunningService } from '@souk/chassis';
import { waitFor } from '@souk/chassis/testing';
import { ensureDevCa, issueCertificate, type DevCa, type IssuedCertificate } from '../../../tools/devhost/src/pki.ts';
import { writeTlsFiles } from '../../../tools/devhost/src/pki.ts';
import { registryService } from '../src/service.ts';

let dir: string;
let ca: DevCa;
let registry: RunningService;
const agents: Agent[] = [];

interface Answer {
  status: number;
  type: string;
  body: { code?: string; detail?: string; services?: Record<string, { instanceId: string; url: string }[]> };
}

/** A caller holding a certificate for `service` with CN `cn`, or none at all. */
function caller(issued: IssuedCertificate | undefined) {
  const agent = new Agent({
    connect: {
      ca: ca.certPem,
      ...(issued ? { cert: issued.certPem, key: issued.keyPem } : {}),
      // The registry's own name is checked by the chassis client (tested there); here the caller is under test.
      checkServerIdentity: () => undefined,
    },
  });
  agents.push(agent);
  return async (method: string, urlPath: string, body?: unknown, base = registry.url): Promise<Answer> => {
    const res = await undiciFetch(base + urlPath, {
      method,
      dispatcher: agent,
      ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
    });
    const text = await res.text();
    return { status: res.status, type: res.headers.get('content-type') ?? '', body: text ? JSON.parse(text) : {} };
  };
}

const certificate = (service: string, instanceId: string) => issueCertificate(ca, { service, instanceId, lifetimeMs: 3600_000 });

const entry = (service: string, instanceId: string, port = 4100) => ({
  service,
  instanceId,
  url: `https://127.0.0.1:${port}`,
  version: '0.1.0',
});

function assertRefused(res: Answer, code: string): void {
  assert.equal(res.status, 403, JSON.stringify(res.body));
  assert.match(res.type, /^application\/problem\+json/);
  assert.equal(res.body.code, code);
  assert.equal(typeof res.body.detail, 'string');
}

before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'souk-registry-tls-'));
  ca = await ensureDevCa(path.join(dir, 'ca'));
  const files = await writeTlsFiles(path.join(dir, 'registry-1'), ca, await certificate('registry', 'registry-1'));
  registry = await startService(registryService, {
    env: {
      PORT: '0',
      LOG_LEVEL: 'silent',
      INSTANCE_ID: 'registry-1',
      TLS_CERT_FILE: files.certFile,
      TLS_KEY_FILE: files.keyFile,
      TLS_CA_FILE: files.caFile,
    },
  });
});

after(async () => {
  await Promise.all(agents.map((a) => a.close()));
  await registry?.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('writes are bound to the certificate', () => {
  let catalog: ReturnType<typeof caller>;
  let cart: ReturnType<typeof caller>;
  before(async () => {
    catalog = caller(await certificate('catalog', 'catalog-1'));
    cart = caller(await certificate('cart', 'cart-1'));
    assert.equal((await catalog('POST', '/api/v1/instances', entry('catalog', 'catalog-1'))).status, 201);
  });

  it('an instance registers, heartbeats, re-registers and deregisters itself', async () => {
    assert.equal((await cart('POST', '/api/v1/instances', entry('cart', 'cart-1'))).status, 201);
    assert.equal((await cart('PUT', '/api/v1/instances/cart-1/heartbeat')).status, 204);
    assert.equal((await cart('POST', '/api/v1/instances', entry('cart', 'cart-1', 4101))).status, 201);
    assert.equal((await cart('DELETE', '/api/v1/instances/cart-1')).status, 204);
    const listed = await cart('GET', '/api/v1/services');
    assert.equal(listed.body.services?.cart, undefined);
  });

  it('registering under another service or another instance id is 403 SOUK_REGISTRY_NOT_YOUR_INSTANCE', async () => {
    assertRefused(await cart('POST', '/api/v1/instances', entry('catalog', 'cart-1')), 'SOUK_REGISTRY_NOT_YOUR_INSTANCE');
    assertRefused(await cart('POST', '/api/v1/instances', entry('cart', 'cart-2')), 'SOUK_REGISTRY_NOT_YOUR_INSTANCE');
    assertRefused(
      await cart('POST', '/api/v1/instances', entry('catalog', 'catalog-1', 4666)),
      'SOUK_REGISTRY_NOT_YOUR_INSTANCE',
    );
    const listed = await cart('GET', '/api/v1/services');
    assert.deepEqual(
      listed.body.services?.catalog?.map((i) => [i.instanceId, i.url]),
      [['catalog-1', 'https://127.0.0.1:4100']],
    );
    assert.equal(listed.body.services?.cart, undefined);
  });

  it("another instance's heartbeat and deregistration are 403, and the entry stays", async () => {
    assertRefused(await cart('PUT', '/api/v1/instances/catalog-1/heartbeat'), 'SOUK_REGISTRY_NOT_YOUR_INSTANCE');
    assertRefused(await cart('DELETE', '/api/v1/instances/catalog-1'), 'SOUK_REGISTRY_NOT_YOUR_INSTANCE');
    // Also for an id nobody holds: the caller is refused before the registry says whether it exists.
    assertRefused(await cart('PUT', '/api/v1/instances/nobody-1/heartbeat'), 'SOUK_REGISTRY_NOT_YOUR_INSTANCE');
    const listed = await cart('GET', '/api/v1/services/catalog');
    assert.equal(listed.status, 200);
  });

  it('a certificate whose CN is a registered id but names another service cannot take that id: 403 SOUK_REGISTRY_INSTANCE_TAKEN', async () => {
    const lookalike = caller(await certificate('cart', 'catalog-1'));
    assertRefused(await lookalike('POST', '/api/v1/instances', entry('cart', 'catalog-1', 4666)), 'SOUK_REGISTRY_INSTANCE_TAKEN');
    assertRefused(await lookalike('PUT', '/api/v1/instances/catalog-1/heartbeat'), 'SOUK_REGISTRY_INSTANCE_TAKEN');
    assertRefused(await lookalike('DELETE', '/api/v1/instances/catalog-1'), 'SOUK_REGISTRY_INSTANCE_TAKEN');
    const listed = await cart('GET', '/api/v1/services');
    assert.deepEqual(
      listed.body.services?.catalog?.map((i) => [i.instanceId, i.url]),
      [['catalog-1', 'https://127.0.0.1:4100']],
    );
  });

  it('a restarted instance (a new certificate, same service and CN) replaces its own entry', async () => {
    const restarted = caller(await certificate('catalog', 'catalog-1'));
    assert.equal((await restarted('POST', '/api/v1/instances', entry('catalog', 'catalog-1', 4102))).status, 201);
    const listed = await cart('GET', '/api/v1/services/catalog');
    assert.equal(listed.status, 200);
    assert.equal((listed.body as { instances?: { url: string }[] }).instances?.[0]?.url, 'https://127.0.0.1:4102');
  });

  it('the admin listener takes no write either: even for the operator it serves only admin paths', async () => {
    // The admin listener answers only ADMIN_CALLERS (the devhost by default) over mutual TLS.
    const operator = caller(await certificate('devhost', 'devhost'));
    for (const [method, urlPath, body] of [
      ['POST', '/api/v1/instances', entry('catalog', 'catalog-1', 4666)],
      ['DELETE', '/api/v1/instances/catalog-1', undefined],
    ] as const) {
      const res = await operator(method, urlPath, body, registry.adminUrl);
      assert.equal(res.status, 404);
    }
    const listed = await cart('GET', '/api/v1/services');
    assert.deepEqual(
      listed.body.services?.catalog?.map((i) => i.instanceId),
      ['catalog-1'],
    );
  });

  it('without a client certificate nothing reaches the registry: refused during the handshake', async () => {
    const anonymous = caller(undefined);
    await assert.rejects(anonymous('GET', '/api/v1/services'), (err: Error) => err.name === 'TypeError');
    await assert.rejects(
      anonymous('POST', '/api/v1/instances', entry('catalog', 'catalog-1')),
      (err: Error) => err.name === 'TypeError',
    );
  });
});

describe('the chassis registry client', () => {
  it('registers an instance with its own certificate, and a wrong INSTANCE_ID is refused and never listed', async () => {
    const probe = defineService({ name: 'probe', version: '0.0.1', setup() {} });
    const start = async (instanceId: string, cn: string) => {
      const files = await writeTlsFiles(path.join(dir, `probe-${instanceId}`), ca, await certificate('probe', cn));
      return startService(probe, {
        env: {
          PORT: '0',
          LOG_LEVEL: 'silent',
          INSTANCE_ID: instanceId,
          REGISTRY_URL: registry.url,
          IDENTITY_URL: 'https://127.0.0.1:1',
          TLS_CERT_FILE: files.certFile,
          TLS_KEY_FILE: files.keyFile,
          TLS_CA_FILE: files.caFile,
        },
      });
    };
    const reader = caller(await certificate('cart', 'cart-1'));
    const listedProbes = async () => (await reader('GET', '/api/v1/services')).body.services?.probe?.map((i) => i.instanceId);
    const good = await start('probe-1', 'probe-1');
    try {
      assert.deepEqual(await listedProbes(), ['probe-1']);
      // Its certificate says probe-7: it keeps trying in the background, and is never listed as probe-2.
      const liar = await start('probe-2', 'probe-7');
      try {
        assert.deepEqual(await listedProbes(), ['probe-1']);
      } finally {
        await liar.stop();
      }
    } finally {
      await good.stop();
    }
    await waitFor(async () => ((await listedProbes()) === undefined ? true : undefined), {
      what: 'probe-1 deregistered',
      timeoutMs: 15_000,
      intervalMs: 10,
    });
  });
});
