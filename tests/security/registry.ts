// Attacks on discovery against the running devhost. (a) A compromised instance (a real certificate from
// the devhost's CA, for recommendations) tries to register as identity or payments and to re-register,
// renew or remove the real identity instance: every write is 403 and the registry lists identity as before;
// without a certificate the registry is not reached at all. (b) An impostor with a dev-CA certificate for
// another service is put where a consumer calls a producer's feed and identity's keys: the chassis client
// refuses it (SPIFFE id), and a token signed by the impostor's key is not accepted.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:https';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Agent, fetch as undiciFetch } from 'undici';
import { defineService, FEED_PATH, serverIdentityCheck, startService } from '@souk/chassis';
import { createTestIssuer } from '@souk/chassis/testing';
import type { Devhost, DevhostInstance } from '../system/devhost-harness.ts';
import type { SecurityRun } from './run.ts';
import { ensureDevCa, issueCertificate, writeTlsFiles, type DevCa, type IssuedCertificate } from '../../tools/devhost/src/pki.ts';

interface Answer {
  status: number;
  type: string;
  body: { code?: string; services?: Record<string, Listed[]> };
}

interface Listed {
  instanceId: string;
  service: string;
  url: string;
  version: string;
  metadata: Record<string, string>;
  registeredAt: string;
}

/** The devhost's CA, opened from its data folder: what a process that stole an instance's key could get certificates from. */
const devCa = (devhost: Devhost): Promise<DevCa> => ensureDevCa(path.join(devhost.dataDir, 'pki'));

const certificate = (ca: DevCa, service: string, instanceId: string) =>
  issueCertificate(ca, { service, instanceId, lifetimeMs: 3600_000 });

async function instanceOf(devhost: Devhost, service: string): Promise<DevhostInstance> {
  const found = (await devhost.instances()).find((i) => i.service === service && i.state === 'ready');
  assert.ok(found, `a ready ${service} instance`);
  return found;
}

/** Calls the registry with `issued` (or no certificate), accepting only a server that proves to be the registry. */
async function registryCaller(devhost: Devhost, ca: DevCa, issued: IssuedCertificate | undefined) {
  const registry = await instanceOf(devhost, 'registry');
  assert.match(registry.url, /^https:/);
  const agent = new Agent({
    connect: {
      ca: ca.certPem,
      ...(issued ? { cert: issued.certPem, key: issued.keyPem } : {}),
      checkServerIdentity: serverIdentityCheck('registry'),
    },
  });
  const call = async (method: string, urlPath: string, body?: unknown): Promise<Answer> => {
    const res = await undiciFetch(registry.url + urlPath, {
      method,
      dispatcher: agent,
      ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
    });
    const text = await res.text();
    return { status: res.status, type: res.headers.get('content-type') ?? '', body: text ? JSON.parse(text) : {} };
  };
  return { call, close: () => agent.close() };
}

function assertForbidden(res: Answer, code: string, what: string): void {
  assert.equal(res.status, 403, `${what}: ${JSON.stringify(res.body)}`);
  assert.match(res.type, /^application\/problem\+json/, what);
  assert.equal(res.body.code, code, what);
}

/** What a consumer relies on about an entry; a takeover would change the URL or the registration time. */
const fingerprint = (list: Listed[] | undefined) =>
  (list ?? []).map((i) => ({ instanceId: i.instanceId, url: i.url, version: i.version, registeredAt: i.registeredAt }));

/** A TLS server with a dev-CA certificate for `service`, counting the HTTP requests that reach it. */
async function startImpostor(issued: IssuedCertificate, ca: DevCa, answer: (url: string) => unknown) {
  let requests = 0;
  const server: Server = createServer(
    { cert: issued.certPem, key: issued.keyPem, ca: ca.certPem, requestCert: true, rejectUnauthorized: true },
    (req, res) => {
      requests++;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(answer(req.url ?? '/')));
    },
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `https://127.0.0.1:${port}`,
    requests: () => requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function causeChain(err: unknown): string {
  const out: string[] = [];
  for (
    let e = err as { code?: string; message?: string; cause?: unknown } | undefined, i = 0;
    e && i < 8;
    e = e.cause as typeof e, i++
  )
    out.push(`${e.code ?? ''} ${e.message ?? ''}`);
  return out.join(' <- ');
}

export function registryAttacks(run: SecurityRun): void {
  test('a recommendations certificate cannot register as identity or payments, nor take over, renew or remove identity', async () => {
    const ca = await devCa(run.devhost);
    const identity = await instanceOf(run.devhost, 'identity');
    // A compromised recommendations instance: the certificate the devhost gave it, in all but serial.
    const stolen = await registryCaller(run.devhost, ca, await certificate(ca, 'recommendations', 'recommendations-1'));
    // The same service's certificate with the real identity instance's id as CN.
    const lookalike = await registryCaller(run.devhost, ca, await certificate(ca, 'recommendations', identity.instanceId));
    try {
      const before = (await stolen.call('GET', '/api/v1/services')).body.services ?? {};
      assert.ok(
        fingerprint(before.identity).some((i) => i.instanceId === identity.instanceId),
        'identity is listed',
      );
      const evil = (service: string, instanceId: string) => ({
        service,
        instanceId,
        url: 'https://127.0.0.1:9',
        version: '6.6.6',
      });
      const notYours = 'SOUK_REGISTRY_NOT_YOUR_INSTANCE';
      assertForbidden(await stolen.call('POST', '/api/v1/instances', evil('identity', 'identity-9')), notYours, 'a new identity');
      assertForbidden(await stolen.call('POST', '/api/v1/instances', evil('payments', 'payments-9')), notYours, 'a new payments');
      assertForbidden(
        await stolen.call('POST', '/api/v1/instances', evil('identity', identity.instanceId)),
        notYours,
        'replacing the real identity',
      );
      assertForbidden(
        await stolen.call('POST', '/api/v1/instances', evil('identity', 'recommendations-1')),
        notYours,
        'its own id under identity',
      );
      const path = `/api/v1/instances/${identity.instanceId}`;
      assertForbidden(await stolen.call('PUT', `${path}/heartbeat`), notYours, "identity's heartbeat");
      assertForbidden(await stolen.call('DELETE', path), notYours, "identity's deregistration");

      const taken = 'SOUK_REGISTRY_INSTANCE_TAKEN';
      assertForbidden(
        await lookalike.call('POST', '/api/v1/instances', evil('recommendations', identity.instanceId)),
        taken,
        "identity's id under its own service",
      );
      assertForbidden(await lookalike.call('PUT', `${path}/heartbeat`), taken, "identity's heartbeat by CN");
      assertForbidden(await lookalike.call('DELETE', path), taken, "identity's deregistration by CN");
      assertForbidden(
        await lookalike.call('POST', '/api/v1/instances', evil('identity', identity.instanceId)),
        notYours,
        'identity by CN',
      );

      const after = (await stolen.call('GET', '/api/v1/services')).body.services ?? {};
      assert.deepEqual(fingerprint(after.identity), fingerprint(before.identity), 'identity is listed as before');
      assert.deepEqual(fingerprint(after.payments), fingerprint(before.payments), 'payments is listed as before');
      assert.ok(!JSON.stringify(after).includes('https://127.0.0.1:9"'), 'no entry of the attacker is listed');
    } finally {
      await stolen.close();
      await lookalike.close();
    }
  });

  test('without a client certificate the registry is not reached: refused during the TLS handshake', async () => {
    const ca = await devCa(run.devhost);
    const anonymous = await registryCaller(run.devhost, ca, undefined);
    try {
      await assert.rejects(anonymous.call('GET', '/api/v1/services'), (err: Error) => err.name === 'TypeError');
      await assert.rejects(
        anonymous.call('DELETE', `/api/v1/instances/${(await instanceOf(run.devhost, 'identity')).instanceId}`),
        (err: Error) => err.name === 'TypeError',
      );
    } finally {
      await anonymous.close();
    }
  });

  test("an impostor with a dev-CA certificate for another service, put where a consumer reads a feed and identity's keys, is refused", async () => {
    const ca = await devCa(run.devhost);
    const dir = await mkdtemp(path.join(tmpdir(), 'souk-impostor-'));
    const forger = await createTestIssuer({ issuer: 'http://souk.test', audience: 'souk-internal' });
    // Answers anything: an empty feed page, or its own key set (which signs the forged token below).
    const impostor = await startImpostor(await certificate(ca, 'recommendations', 'recommendations-1'), ca, (url) =>
      url.startsWith('/.well-known/jwks.json') ? forger.jwks : { events: [], next: 0 },
    );
    const consumer = defineService({
      name: 'shipping',
      version: '0.0.1',
      setup(ctx) {
        ctx.app.get('/mine', { onRequest: ctx.auth.required() }, async () => ({ ok: true }));
      },
    });
    const files = await writeTlsFiles(path.join(dir, 'shipping'), ca, await certificate(ca, 'shipping', 'shipping-test'));
    /** The consumer with orders' feed and identity at the given URLs, its certificate from the devhost's CA. */
    const startConsumer = (orders: string, identity: string, extra: Record<string, string> = {}) =>
      startService(consumer, {
        env: {
          LOG_LEVEL: 'silent',
          INSTANCE_ID: 'shipping-test',
          STATIC_SERVICES: `orders=${orders}`,
          IDENTITY_URL: identity,
          TLS_CERT_FILE: files.certFile,
          TLS_KEY_FILE: files.keyFile,
          TLS_CA_FILE: files.caFile,
          ...extra,
        },
      });
    // The impostor where orders' feed and identity would be.
    const running = await startConsumer(impostor.url, impostor.url, { AUTH_ISSUER: 'http://souk.test' });
    try {
      // The request a feed consumer makes, through the same chassis client.
      await assert.rejects(
        running.ctx.client('orders').request({ method: 'GET', path: FEED_PATH, query: { after: '0' } }),
        (err: unknown) => {
          assert.match(causeChain(err), /ERR_SOUK_TLS_IDENTITY|spiffe:\/\/souk\.local\/orders/);
          return true;
        },
      );
      // A token signed by the impostor's key: its key set is never fetched from it, so the token is not accepted.
      const forged = await forger.token({ sub: 'attacker', roles: ['admin'] });
      const client = new Agent({
        connect: {
          ca: ca.certPem,
          cert: await readFile(files.certFile),
          key: await readFile(files.keyFile),
          checkServerIdentity: () => undefined,
        },
      });
      try {
        const res = await undiciFetch(`${running.url}/mine`, {
          headers: { authorization: `Bearer ${forged}` },
          dispatcher: client,
        });
        const body = (await res.json()) as { code?: string };
        assert.equal(res.status, 503, JSON.stringify(body));
        assert.equal(body.code, 'SOUK_AUTH_KEYS_UNAVAILABLE');
      } finally {
        await client.close();
      }
      assert.equal(impostor.requests(), 0, 'no request reached the impostor');

      // The control: the same consumer code reaches the real orders instance (and is asked for a token there).
      const orders = await instanceOf(run.devhost, 'orders');
      const control = await startConsumer(orders.url, (await instanceOf(run.devhost, 'identity')).url);
      try {
        await assert.rejects(
          control.ctx.client('orders').request({ method: 'GET', path: FEED_PATH, query: { after: '0' } }),
          (err: unknown) => {
            assert.equal((err as { status?: number }).status, 401, causeChain(err));
            return true;
          },
        );
      } finally {
        await control.stop();
      }
    } finally {
      await running.stop();
      await impostor.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
}
