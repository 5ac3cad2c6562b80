// The config server over mutual TLS with certificates from the devhost's own issuer, against a real
// PostgreSQL: a service publishes its settings schema and reads its own settings (no one else's), an
// admin sets them (validated, with the reasons when refused), a watch answers as soon as a change
// commits, every change is in the history with who, why and what, and any version can be restored.

import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Type } from 'typebox';
import { Agent, fetch as undiciFetch } from 'undici';
import { configPath, pause, settingsSchema, startService, type RunningService } from '@souk/chassis';
import { createTestDatabase, createTestIssuer, type TestDatabase, type TestIssuer } from '@souk/chassis/testing';
import { ensureDevCa, issueCertificate, writeTlsFiles, type DevCa } from '../../../tools/devhost/src/pki.ts';
import { configService } from '../src/service.ts';

let dir: string;
let ca: DevCa;
let database: TestDatabase;
let issuer: TestIssuer;
let config: RunningService;
const agents: Agent[] = [];

interface Answer {
  status: number;
  type: string;
  body: any;
}

/** A caller holding a certificate of `service`, sending `token` when given one. */
async function caller(service: string) {
  const issued = await issueCertificate(ca, { service, instanceId: `${service}-1`, lifetimeMs: 3600_000 });
  const agent = new Agent({
    connect: { ca: ca.certPem, cert: issued.certPem, key: issued.keyPem, checkServerIdentity: () => undefined },
  });
  agents.push(agent);
  return async (
    method: string,
    urlPath: string,
    options: { body?: unknown; token?: string; headers?: Record<string, string> } = {},
  ) => {
    const res = await undiciFetch(config.url + urlPath, {
      method,
      dispatcher: agent,
      headers: {
        ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
        ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
        ...options.headers,
      },
      ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
    });
    const text = await res.text();
    return {
      status: res.status,
      type: res.headers.get('content-type') ?? '',
      body: text ? JSON.parse(text) : undefined,
    };
  };
}

function assertProblem(res: Answer, status: number, code: string): void {
  assert.equal(res.status, status, JSON.stringify(res.body));
  assert.match(res.type, /^application\/problem\+json/);
  assert.equal(res.body.code, code);
}

const catalogSchema = settingsSchema(Type.Object({ pageSize: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })) }));

before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'souk-config-'));
  ca = await ensureDevCa(path.join(dir, 'ca'));
  database = await createTestDatabase('config_server');
  issuer = await createTestIssuer();
  const files = await writeTlsFiles(
    path.join(dir, 'config-1'),
    ca,
    await issueCertificate(ca, { service: 'config', instanceId: 'config-1', lifetimeMs: 3600_000 }),
  );
  config = await startService(configService, {
    env: {
      DATABASE_URL: database.url,
      LOG_LEVEL: 'silent',
      INSTANCE_ID: 'config-1',
      TLS_CERT_FILE: files.certFile,
      TLS_KEY_FILE: files.keyFile,
      TLS_CA_FILE: files.caFile,
    },
  });
  config.ctx.auth.setKeySource(issuer.keySource);
});

after(async () => {
  // The callers' kept-alive connections first: the server's drain would wait for them.
  await Promise.all(agents.map((a) => a.close()));
  await config?.stop();
  await database?.drop();
  await rm(dir, { recursive: true, force: true });
});

describe('settings of a service, by the service and by admins', () => {
  let catalog: Awaited<ReturnType<typeof caller>>;
  let cart: Awaited<ReturnType<typeof caller>>;
  /** The gateway's certificate carries an admin's (exchanged) token, as in the devhost. */
  let gateway: Awaited<ReturnType<typeof caller>>;
  let admin: string;
  const catalogPath = configPath('catalog');

  before(async () => {
    [catalog, cart, gateway] = await Promise.all([caller('catalog'), caller('cart'), caller('gateway')]);
    admin = await issuer.token({ sub: 'u-admin', email: 'admin@souk.local', roles: ['admin'] });
  });

  it('a service publishes its own schema and reads its own settings: version 0 before anyone set them', async () => {
    assert.equal((await catalog('PUT', `${catalogPath}/schema`, { body: { schema: catalogSchema } })).status, 204);
    const mine = await catalog('GET', catalogPath);
    assert.equal(mine.status, 200);
    assert.deepEqual(mine.body, { service: 'catalog', version: 0, settings: {} });
  });

  it("another service can neither read a service's settings nor publish its schema: 403", async () => {
    assertProblem(await cart('GET', catalogPath), 403, 'SOUK_CONFIG_NOT_THIS_SERVICE');
    assertProblem(
      await cart('PUT', `${catalogPath}/schema`, { body: { schema: { type: 'object' } } }),
      403,
      'SOUK_CONFIG_NOT_THIS_SERVICE',
    );
    const schema = await catalog('GET', `${catalogPath}/schema`);
    assert.deepEqual(schema.body.schema, JSON.parse(JSON.stringify(catalogSchema)), 'the published schema is unchanged');
  });

  it('only an admin changes settings: 401 without a token, 403 for a customer or a service token', async () => {
    const change = { settings: { logLevel: 'debug' }, reason: 'chasing a bug' };
    assertProblem(await gateway('PUT', catalogPath, { body: change }), 401, 'SOUK_AUTH_TOKEN_MISSING');
    const customer = await issuer.token({ roles: ['customer'] });
    assertProblem(await gateway('PUT', catalogPath, { body: change, token: customer }), 403, 'SOUK_AUTH_FORBIDDEN');
    const service = await issuer.serviceToken('svc-catalog', ['schemas:write'])();
    assertProblem(await catalog('PUT', catalogPath, { body: change, token: service }), 403, 'SOUK_AUTH_FORBIDDEN');
    assert.equal((await catalog('GET', catalogPath)).body.version, 0, 'nothing changed');
  });

  it('an invalid change is refused with every reason, and changes nothing', async () => {
    const res = await gateway('PUT', catalogPath, {
      token: admin,
      body: { settings: { logLevel: 'loud', pageSize: 1000, colour: 'blue' }, reason: 'typos' },
    });
    assertProblem(res, 422, 'SOUK_CONFIG_SETTINGS_INVALID');
    assert.deepEqual(res.body.errors.map((e: { path: string }) => e.path).sort(), ['/colour', '/logLevel', '/pageSize']);
    assert.match(res.body.detail, /\/colour catalog has no such setting/);
    assert.equal((await catalog('GET', catalogPath)).body.version, 0);
  });

  it('an admin sets them; the service sees the new version with who set it and why', async () => {
    const res = await gateway('PUT', catalogPath, {
      token: admin,
      body: { settings: { logLevel: 'debug', flags: { newSearch: true } }, reason: 'chasing a bug' },
    });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.version, 1);
    const mine = await catalog('GET', catalogPath);
    assert.deepEqual(
      { ...mine.body, createdAt: undefined },
      {
        service: 'catalog',
        version: 1,
        settings: { logLevel: 'debug', flags: { newSearch: true } },
        author: 'admin@souk.local',
        reason: 'chasing a bug',
        createdAt: undefined,
      },
    );
  });

  it('a change made from an older version is refused with 409 and the version in effect', async () => {
    const stale = await gateway('PUT', catalogPath, {
      token: admin,
      body: { settings: { logLevel: 'warn' }, reason: 'made from an old page', basedOn: 0 },
    });
    assertProblem(stale, 409, 'SOUK_CONFIG_VERSION_CONFLICT');
    assert.equal(stale.body.current, 1);
    const viaIfMatch = await gateway('PUT', catalogPath, {
      token: admin,
      headers: { 'if-match': '"0"' },
      body: { settings: { logLevel: 'warn' }, reason: 'made from an old page' },
    });
    assertProblem(viaIfMatch, 409, 'SOUK_CONFIG_VERSION_CONFLICT');
  });

  it('a watch holds until a change commits, then answers with it at once', async () => {
    const held = catalog('GET', `${catalogPath}?after=1&waitMs=60000`);
    // The change may land before or after the watch is held; either way the watch answers with version 2.
    await pause(100);
    const changed = await gateway('PUT', catalogPath, {
      token: admin,
      body: { settings: { logLevel: 'info', flags: { newSearch: true }, pageSize: 50 }, reason: 'bug found', basedOn: 1 },
    });
    assert.equal(changed.status, 200, JSON.stringify(changed.body));
    const giveUp = new AbortController();
    const answer = await Promise.race([held, pause(30_000, giveUp.signal).then(() => 'still held after 30 s')]);
    giveUp.abort();
    assert.notEqual(answer, 'still held after 30 s', 'the commit did not wake the watch');
    assert.equal((answer as Answer).body.version, 2);
    // A watch on the version in effect with no wait answers at once, with it.
    assert.equal((await catalog('GET', `${catalogPath}?after=2&waitMs=0`)).body.version, 2);
  });

  it('the history lists each version, newest first, with what it changed', async () => {
    const res = await gateway('GET', `${catalogPath}/history`, { token: admin });
    assert.equal(res.status, 200);
    const versions = res.body.versions as { version: number; author: string; reason: string; changes: unknown[] }[];
    assert.deepEqual(
      versions.map((v) => [v.version, v.author, v.reason]),
      [
        [2, 'admin@souk.local', 'bug found'],
        [1, 'admin@souk.local', 'chasing a bug'],
      ],
    );
    assert.deepEqual(versions[0]!.changes, [
      { path: '/logLevel', before: 'debug', after: 'info' },
      { path: '/pageSize', after: 50 },
    ]);
    assertProblem(await catalog('GET', `${catalogPath}/history`), 401, 'SOUK_AUTH_TOKEN_MISSING');
  });

  it('a rollback restores an earlier version as a new one, and says so', async () => {
    const res = await gateway('POST', `${catalogPath}/rollback`, {
      token: admin,
      body: { version: 1, reason: 'back to debugging' },
    });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.version, 3);
    assert.equal(res.body.rollbackOf, 1);
    assert.deepEqual((await catalog('GET', catalogPath)).body.settings, { logLevel: 'debug', flags: { newSearch: true } });
    assertProblem(
      await gateway('POST', `${catalogPath}/rollback`, { token: admin, body: { version: 99, reason: 'no such' } }),
      404,
      'SOUK_CONFIG_VERSION_NOT_FOUND',
    );
  });

  it('the list of services names each with its version in effect', async () => {
    const res = await gateway('GET', '/api/v1/config/services', { token: admin });
    assert.deepEqual(res.body.services, [{ service: 'catalog', version: 3, environments: [] }]);
  });
});

describe('per environment: a document over the base, as a JSON Merge Patch', () => {
  const cartPath = configPath('cart');
  const cartSchema = settingsSchema(Type.Object({ pageSize: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })) }));
  let cart: Awaited<ReturnType<typeof caller>>;
  let gateway: Awaited<ReturnType<typeof caller>>;
  let admin: string;
  const change = async (query: string, settings: object, reason: string) => {
    const res = await gateway('PUT', `${cartPath}${query}`, { token: admin, body: { settings, reason } });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return res.body;
  };

  before(async () => {
    [cart, gateway] = await Promise.all([caller('cart'), caller('gateway')]);
    admin = await issuer.token({ sub: 'u-admin', email: 'admin@souk.local', roles: ['admin'] });
    assert.equal((await cart('PUT', `${cartPath}/schema`, { body: { schema: cartSchema } })).status, 204);
  });

  it("a service in an environment gets the base with the environment's document merged over it", async () => {
    assert.deepEqual((await cart('GET', `${cartPath}?environment=staging`)).body, {
      service: 'cart',
      environment: 'staging',
      version: 0,
      layers: { base: 0, environment: 0 },
      settings: {},
    });
    await change('', { logLevel: 'info', pageSize: 20, flags: { beta: false, fast: true } }, 'the base');
    const staged = await change('?environment=staging', { pageSize: 50, flags: { beta: true } }, 'staging shows more');
    assert.equal(staged.version, 2, 'base 1 + staging 1');
    const mine = (await cart('GET', `${cartPath}?environment=staging`)).body;
    assert.deepEqual(mine.settings, { logLevel: 'info', pageSize: 50, flags: { beta: true, fast: true } });
    assert.deepEqual(mine.layers, { base: 1, environment: 1 });
    assert.equal(mine.reason, 'staging shows more');
    assert.equal((await cart('GET', cartPath)).body.settings.pageSize, 20, 'the base is unchanged');
    assert.deepEqual((await cart('GET', `${cartPath}/environments/staging`)).body.settings, {
      pageSize: 50,
      flags: { beta: true },
    });
    // null removes a setting there.
    await change('?environment=staging', { pageSize: 50, flags: { beta: true }, logLevel: null }, 'no level in staging');
    assert.equal((await cart('GET', `${cartPath}?environment=staging`)).body.settings.logLevel, undefined);
  });

  it('what an environment would get is validated; the refusal names it', async () => {
    const res = await gateway('PUT', `${cartPath}?environment=staging`, {
      token: admin,
      body: { settings: { pageSize: 1000 }, reason: 'too many' },
    });
    assertProblem(res, 422, 'SOUK_CONFIG_SETTINGS_INVALID');
    assert.match(res.body.detail, /The settings of cart in staging were refused: \/pageSize/);
  });

  it('a watch in an environment wakes for a change of the base too', async () => {
    const now = (await cart('GET', `${cartPath}?environment=staging`)).body.version as number;
    const woken = cart('GET', `${cartPath}?environment=staging&after=${now}&waitMs=10000`);
    await pause(100);
    await change('', { logLevel: 'warn', pageSize: 20, flags: { beta: false, fast: true } }, 'quieter everywhere');
    const next = (await woken).body;
    assert.equal(next.version, now + 1);
    assert.equal(next.settings.logLevel, undefined, "staging's null still removes it");
    assert.equal(next.reason, 'quieter everywhere');
  });

  it("an environment's document has its own history and rollback; the list names the environments", async () => {
    const history = (await gateway('GET', `${cartPath}/history?environment=staging`, { token: admin })).body.versions;
    assert.deepEqual(
      history.map((v: { version: number; environment: string }) => [v.version, v.environment]),
      [
        [2, 'staging'],
        [1, 'staging'],
      ],
    );
    const back = await gateway('POST', `${cartPath}/rollback?environment=staging`, {
      token: admin,
      body: { version: 1, reason: 'staging as it was' },
    });
    assert.equal(back.status, 200, JSON.stringify(back.body));
    assert.equal(back.body.rollbackOf, 1);
    assert.equal((await cart('GET', `${cartPath}?environment=staging`)).body.settings.logLevel, 'warn');
    const listed = (await gateway('GET', '/api/v1/config/services', { token: admin })).body.services;
    assert.deepEqual(
      listed.find((s: { service: string }) => s.service === 'cart'),
      { service: 'cart', version: 2, environments: ['staging'] },
    );
    assertProblem(await cart('GET', `${cartPath}?environment=Staging!`), 400, 'SOUK_REQUEST_INVALID');
  });
});

describe("the gateway's releases: the one setting a service changes by itself (its canary analysis)", () => {
  const gatewayPath = configPath('gateway');
  const gatewaySchema = settingsSchema(
    Type.Object({
      releases: Type.Optional(
        Type.Object(
          {},
          { additionalProperties: Type.Object({ canary: Type.Optional(Type.Object({ weight: Type.Integer() })) }) },
        ),
      ),
    }),
  );

  it('with config:releases:write it changes releases, based on the version in effect, and nothing else', async () => {
    const gateway = await caller('gateway');
    const admin = await issuer.token({ sub: 'u-admin', email: 'admin@souk.local', roles: ['admin'] });
    assert.equal((await gateway('PUT', `${gatewayPath}/schema`, { body: { schema: gatewaySchema } })).status, 204);
    const set = await gateway('PUT', gatewayPath, {
      token: admin,
      body: { settings: { logLevel: 'info', releases: { catalog: { canary: { weight: 50 } } } }, reason: 'canary at 50%' },
    });
    assert.equal(set.status, 200, JSON.stringify(set.body));
    const writer = await issuer.serviceToken('gateway', ['config:releases:write'])();
    const rollback = {
      settings: { logLevel: 'info', releases: { catalog: { canary: { weight: 0 } } } },
      reason: 'canary analysis: error rate 30%',
    };
    // Without basedOn something else could have changed in between: refused.
    assertProblem(await gateway('PUT', gatewayPath, { token: writer, body: rollback }), 400, 'SOUK_REQUEST_INVALID');
    assertProblem(
      await gateway('PUT', gatewayPath, { token: writer, body: { ...rollback, basedOn: set.body.version - 1 } }),
      409,
      'SOUK_CONFIG_VERSION_CONFLICT',
    );
    const outside = await gateway('PUT', gatewayPath, {
      token: writer,
      body: { ...rollback, settings: { ...rollback.settings, logLevel: 'debug' }, basedOn: set.body.version },
    });
    assertProblem(outside, 403, 'SOUK_AUTH_FORBIDDEN');
    assert.match(outside.body.detail, /may change \/releases only, not \/logLevel/);
    const done = await gateway('PUT', gatewayPath, { token: writer, body: { ...rollback, basedOn: set.body.version } });
    assert.equal(done.status, 200, JSON.stringify(done.body));
    assert.equal(done.body.author, 'gateway');
    const history = await gateway('GET', `${gatewayPath}/history`, { token: admin });
    assert.deepEqual(history.body.versions[0].changes, [{ path: '/releases/catalog/canary/weight', before: 50, after: 0 }]);
    assert.equal(history.body.versions[0].reason, 'canary analysis: error rate 30%');
  });

  it("the capability is for the gateway's settings only", async () => {
    const catalog = await caller('catalog');
    const writer = await issuer.serviceToken('gateway', ['config:releases:write'])();
    const version = (await catalog('GET', configPath('catalog'))).body.version;
    assertProblem(
      await catalog('PUT', configPath('catalog'), { token: writer, body: { settings: {}, reason: 'no', basedOn: version } }),
      403,
      'SOUK_AUTH_FORBIDDEN',
    );
  });
});

describe('what the config server does not accept', () => {
  it('settings of a service that published no schema: 409 SOUK_CONFIG_NO_SCHEMA', async () => {
    const gateway = await caller('gateway');
    const admin = await issuer.token({ roles: ['admin'] });
    const res = await gateway('PUT', configPath('nobody'), { token: admin, body: { settings: {}, reason: 'x' } });
    assertProblem(res, 409, 'SOUK_CONFIG_NO_SCHEMA');
  });

  it('a schema with a regular expression, or of something other than an object: 400 SOUK_CONFIG_SCHEMA_UNSUPPORTED', async () => {
    const shipping = await caller('shipping');
    const withPattern = { type: 'object', properties: { zone: { type: 'string', pattern: '^(a+)+$' } } };
    assertProblem(
      await shipping('PUT', `${configPath('shipping')}/schema`, { body: { schema: withPattern } }),
      400,
      'SOUK_CONFIG_SCHEMA_UNSUPPORTED',
    );
    assertProblem(
      await shipping('PUT', `${configPath('shipping')}/schema`, { body: { schema: { type: 'array' } } }),
      400,
      'SOUK_CONFIG_SCHEMA_UNSUPPORTED',
    );
    // A property that happens to be called "pattern" is a name, not a regular expression.
    const named = { type: 'object', properties: { pattern: { type: 'string' } } };
    assert.equal((await shipping('PUT', `${configPath('shipping')}/schema`, { body: { schema: named } })).status, 204);
  });

  it('bad input is a 400 problem, never a 5xx', async () => {
    const gateway = await caller('gateway');
    const admin = await issuer.token({ roles: ['admin'] });
    assertProblem(await gateway('GET', '/api/v1/config/services/Not_A_Service', { token: admin }), 400, 'SOUK_REQUEST_INVALID');
    assertProblem(await gateway('GET', `${configPath('catalog')}?waitMs=999999`, { token: admin }), 400, 'SOUK_REQUEST_INVALID');
    assertProblem(
      await gateway('PUT', configPath('catalog'), { token: admin, body: { settings: {} } }),
      400,
      'SOUK_REQUEST_INVALID',
    );
  });
});
