// Tokens presented straight to a service instance, past the gateway (issue 11): a forged
// signature under identity's key id, an expired token and one for another audience (both
// signed with identity's real key, so only the claim under test is wrong), `alg: none`, and a
// user's external token (audience `souk`, what the gateway takes) sent to orders' and payments'
// APIs and to an /_admin route: each a 401 problem with a stable code. A valid internal token
// is answered (200, or 403 where it lacks the scope), so the refusals are the tokens' doing.
// And the admin listener: no client certificate or one from another CA is refused during the
// handshake, another service's certificate from the same CA gets a 403, the devhost's a 200.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { decodeJwt, decodeProtectedHeader, generateKeyPair, importJWK, SignJWT, type JWTPayload } from 'jose';
import { Agent, fetch as undiciFetch } from 'undici';
import type { Devhost } from '../system/devhost-harness.ts';
import type { SecurityRun } from './run.ts';
import { json, shop, type Answer } from '../system/shop-client.ts';
import { devhostClientTls } from '../../tools/devhost/src/certificates.ts';
import { ensureDevCa, issueCertificate } from '../../tools/devhost/src/pki.ts';
import { decryptSecret, parseKeyEncryptionKey } from '../../services/identity/src/keys/key-encryption.ts';

type Target = { name: string; url: string; method?: string; body?: unknown };
type SigningKey = Awaited<ReturnType<typeof importJWK>>;

/** The tests of this module, against a running devhost (mTLS on) that the caller starts. */
export function tokenAttacks(run: SecurityRun): void {
  let context: Promise<Context> | undefined;
  // Set up once, on first use: tokens, the instances' URLs and identity's signing key.
  const ctx = () => (context ??= prepare(run.devhost));

  test('a valid internal token is answered by the API and, with the admin role, by an /_admin route', async () => {
    const c = await ctx();
    const mine = await c.call(c.ordersList, c.customerInternal);
    assert.equal(mine.status, 200, JSON.stringify(mine.body));
    const sagas = await c.call(c.sagasAdmin, c.adminInternal);
    assert.equal(sagas.status, 200, JSON.stringify(sagas.body));
    // The attacks below that sign with identity's key are refused for their one wrong claim, not the signing.
    const resigned = await c.call(c.sagasAdmin, await c.signAsIdentity(c.adminClaims));
    assert.equal(resigned.status, 200, JSON.stringify(resigned.body));
  });

  test('a valid internal token without the scope or role is a 403 SOUK_AUTH_FORBIDDEN', async () => {
    const c = await ctx();
    problem(await c.call(c.refund, c.customerInternal), 403, 'SOUK_AUTH_FORBIDDEN');
    problem(await c.call(c.sagasAdmin, c.customerInternal), 403, 'SOUK_AUTH_FORBIDDEN');
  });

  const attacks: { name: string; token: (c: Context) => Promise<string> }[] = [
    {
      name: "a forged signature (an attacker's key under identity's key id, the admin's claims)",
      token: async (c) => forge(c.adminClaims, c.kid),
    },
    {
      name: 'an expired token signed with identity’s key',
      token: async (c) => c.signAsIdentity({ ...c.adminClaims, ...expired() }),
    },
    {
      name: 'a token for another audience signed with identity’s key',
      token: async (c) => c.signAsIdentity({ ...c.adminClaims, aud: 'payments' }),
    },
    { name: 'an unsigned token (alg: none)', token: async (c) => unsigned(c.adminClaims, c.kid) },
    { name: "a user's external token (audience souk, as the gateway takes it)", token: async (c) => c.adminExternal },
  ];
  for (const attack of attacks) {
    test(`${attack.name}: 401 SOUK_AUTH_TOKEN_INVALID from orders' and payments' APIs and an /_admin route`, async () => {
      const c = await ctx();
      const token = await attack.token(c);
      for (const target of [c.ordersList, c.refund, c.sagasAdmin, c.cancellationsAdmin]) {
        const res = await c.call(target, token);
        problem(res, 401, 'SOUK_AUTH_TOKEN_INVALID', target.name);
        assert.doesNotMatch(JSON.stringify(res.body), /-----BEGIN|private|"d":/, 'nothing of the keys in the refusal');
      }
    });
  }

  test('admin listener: no client certificate, or one from another CA, is refused during the TLS handshake', async () => {
    const c = await ctx();
    assert.match(c.sagasAdmin.url, /^https:\/\//);
    const { ca } = devhostClientTls(run.devhost.dataDir)!;
    const dir = await mkdtemp(path.join(tmpdir(), 'souk-foreign-ca-'));
    try {
      const foreign = await ensureDevCa(dir);
      const issued = await issueCertificate(foreign, { service: 'devhost', instanceId: 'devhost', lifetimeMs: 3600_000 });
      for (const [what, options] of [
        ['no certificate', { ca }],
        ['a certificate from another CA naming the devhost', { ca, cert: issued.certPem, key: issued.keyPem }],
      ] as const) {
        await assert.rejects(
          statusWith(`${c.metricsOf('orders')}`, options),
          (err: Error) => err.name === 'TypeError', // fetch failed: no HTTP answer at all
          what,
        );
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test("admin listener: another service's certificate from the same CA gets 403; the devhost's gets 200", async () => {
    const c = await ctx();
    const dataDir = run.devhost.dataDir;
    const { ca } = devhostClientTls(dataDir)!;
    // The gateway's own certificate: a process of the system, yet no operator.
    const gatewayDir = path.join(dataDir, 'pki', 'instances', c.gatewayInstanceId);
    const [cert, key] = await Promise.all([
      readFile(path.join(gatewayDir, 'cert.pem')),
      readFile(path.join(gatewayDir, 'key.pem')),
    ]);
    const refused = await statusWith(c.metricsOf('orders'), { ca, cert, key });
    assert.equal(refused.status, 403);
    assert.match(refused.contentType, /^application\/problem\+json/);
    assert.equal((JSON.parse(refused.body) as { code: string }).code, 'SOUK_AUTH_FORBIDDEN');
    assert.doesNotMatch(refused.body, /http_server/);
    const answered = await statusWith(c.metricsOf('orders'), { ...devhostClientTls(dataDir)! });
    assert.equal(answered.status, 200);
    assert.match(answered.body, /http_server_request_duration_seconds/);
  });
}

interface Context {
  kid: string;
  adminClaims: JWTPayload;
  adminExternal: string;
  adminInternal: string;
  customerInternal: string;
  ordersList: Target;
  refund: Target;
  sagasAdmin: Target;
  cancellationsAdmin: Target;
  gatewayInstanceId: string;
  metricsOf(service: string): string;
  call(target: Target, token: string): Promise<Answer>;
  signAsIdentity(claims: JWTPayload): Promise<string>;
}

async function prepare(devhost: Devhost): Promise<Context> {
  const s = shop(devhost.gateway);
  const adminExternal = await s.login('admin@souk.local', await devhost.secret('admin-password'));
  const adminInternal = await devhost.internalToken(adminExternal);
  const customerInternal = await devhost.internalToken((await s.signUp('Tokens')).token);
  const instances = await devhost.instances();
  const ready = (service: string) => {
    const found = instances.find((i) => i.service === service && i.state === 'ready');
    assert.ok(found, `a ready ${service} instance`);
    return found;
  };
  const [orders, payments] = [ready('orders'), ready('payments')];
  const kid = decodeProtectedHeader(adminInternal).kid!;
  const signingKey = await identitySigningKey(devhost, ready('identity').pid);
  return {
    kid,
    adminClaims: decodeJwt(adminInternal),
    adminExternal,
    adminInternal,
    customerInternal,
    ordersList: { name: 'GET orders /api/v1/orders', url: `${orders.url}/api/v1/orders` },
    refund: {
      name: 'POST payments /api/v1/payments/{id}/refund',
      url: `${payments.url}/api/v1/payments/${randomUUID()}/refund`,
      method: 'POST',
      body: { reason: 'token test' },
    },
    sagasAdmin: { name: 'GET orders /_admin/sagas', url: `${orders.adminUrl}/_admin/sagas` },
    cancellationsAdmin: {
      name: 'GET payments /_admin/payments/cancellations',
      url: `${payments.adminUrl}/_admin/payments/cancellations`,
    },
    gatewayInstanceId: ready('gateway').instanceId,
    metricsOf: (service) => `${ready(service).adminUrl}/metrics`,
    call: (target, token) =>
      json(target.url, {
        method: target.method ?? 'GET',
        token,
        ...(target.body === undefined ? {} : { body: JSON.stringify(target.body) }),
        fetch: devhost.fetch,
      }),
    signAsIdentity: (claims) =>
      new SignJWT(claims).setProtectedHeader({ alg: 'ES256', kid: signingKey.kid, typ: 'at+jwt' }).sign(signingKey.key),
  };
}

/**
 * Identity's newest signing key, read from its database and decrypted with the key-encryption key
 * in the devhost's secrets: the attacker's best case, so only the claim under test is wrong.
 */
async function identitySigningKey(devhost: Devhost, pid: number): Promise<{ kid: string; key: SigningKey }> {
  const environ = (await readFile(`/proc/${pid}/environ`, 'utf8')).split('\0');
  const url = new URL(environ.find((line) => line.startsWith('DATABASE_URL='))!.slice('DATABASE_URL='.length));
  // Embedded PostgreSQL: as its superuser; a shared server (trust on loopback): as identity's role.
  const superuser = await devhost.secret('postgres-password').catch(() => undefined);
  if (superuser) {
    url.username = 'postgres';
    url.password = superuser;
  }
  const client = new pg.Client({ connectionString: url.href });
  await client.connect();
  try {
    const { rows } = await client.query<{ kid: string; private_jwk_sealed: string }>(
      'select kid, private_jwk_sealed from signing_keys order by created_at desc limit 1',
    );
    const { kid, private_jwk_sealed: sealed } = rows[0]!;
    const kek = parseKeyEncryptionKey(await devhost.secret('identity-kek'), 'identity-kek');
    const jwk = JSON.parse(decryptSecret(kek, kid, sealed)) as Parameters<typeof importJWK>[0];
    return { kid, key: await importJWK(jwk, 'ES256') };
  } finally {
    await client.end();
  }
}

/** Issued an hour ago, expired a minute ago. */
function expired(): JWTPayload {
  const now = Math.floor(Date.now() / 1000);
  return { iat: now - 3600, nbf: now - 3600, exp: now - 60 };
}

async function forge(claims: JWTPayload, kid: string): Promise<string> {
  const { privateKey } = await generateKeyPair('ES256');
  return new SignJWT(claims).setProtectedHeader({ alg: 'ES256', kid, typ: 'at+jwt' }).sign(privateKey);
}

function unsigned(claims: JWTPayload, kid: string): string {
  const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${part({ alg: 'none', kid, typ: 'at+jwt' })}.${part(claims)}.`;
}

function problem(res: Answer, status: number, code: string, what = ''): void {
  assert.equal(res.status, status, `${what}: ${JSON.stringify(res.body)}`);
  assert.match(res.headers.get('content-type') ?? '', /^application\/problem\+json/, what);
  assert.equal(res.body.code, code, what);
}

/** A GET with these TLS options (the server's name unchecked); rejects when no HTTP answer came. */
async function statusWith(
  url: string,
  connect: Record<string, unknown>,
): Promise<{ status: number; contentType: string; body: string }> {
  const dispatcher = new Agent({ connect: { checkServerIdentity: () => undefined, ...connect } });
  try {
    const res = await undiciFetch(url, { dispatcher });
    return { status: res.status, contentType: res.headers.get('content-type') ?? '', body: await res.text() };
  } finally {
    await dispatcher.close();
  }
}
