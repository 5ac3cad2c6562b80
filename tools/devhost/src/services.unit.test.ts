// The service table turned into instances (ids, fixed ports, tiers) and each instance's environment.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { eventsReadProducer, isServiceScope } from '@souk/chassis/scopes';
import {
  databaseName,
  DEFAULT_TRACE_RATIO,
  EXTRA_CLIENTS,
  SERVICES,
  instanceEnv,
  planInstances,
  dueToStart,
  startSteps,
  tiers,
  type ServiceSpec,
} from './services.ts';

const ports = { registryPort: 8761, gatewayPort: 8080, identityPorts: [41000, 41001] };
const secretsDir = '/d/run/some-instance';

test('instances in start order: telemetry, registry, schema registry and config, then the services, then gateway', () => {
  const plans = planInstances({ ...ports, scale: { catalog: 2 } });
  const services = [
    'identity-1',
    'catalog-1',
    'catalog-2',
    'notifications-1',
    'payment-provider-1',
    'inventory-1',
    'payments-1',
    'cart-1',
    'orders-1',
    'shipping-1',
    'order-history-1',
    'recommendations-1',
    'console-1',
  ];
  assert.deepEqual(
    plans.map((p) => p.instanceId),
    ['telemetry-1', 'registry-1', 'schema-registry-1', 'config-1', ...services, 'gateway-1'],
  );
  assert.deepEqual(
    tiers(plans).map((t) => t.map((p) => p.instanceId)),
    // Stopped in reverse: telemetry last of all, after the registry.
    [['telemetry-1'], ['registry-1'], ['schema-registry-1', 'config-1'], services, ['gateway-1']],
  );
  // The registries and config, then identity and the gateway, then the services (each asks identity for a token).
  assert.deepEqual(
    startSteps(plans).map((s) => s.map((p) => p.instanceId)),
    [
      ['telemetry-1', 'registry-1', 'schema-registry-1', 'config-1'],
      ['identity-1', 'gateway-1'],
      services.filter((s) => s !== 'identity-1'),
    ],
  );
});

test('a service starts in the step after the last of the services it starts after; a cycle is refused', () => {
  const spec = (name: string, tier: number, startsAfter: string[]): ServiceSpec => ({
    name,
    entry: `${name}.ts`,
    tier,
    startsAfter,
    database: false,
    scalable: true,
    usesRegistry: false,
    clientScopes: [],
  });
  const plans = planInstances({ ...ports, scale: { b: 2 } }, [
    spec('a', 0, []),
    spec('b', 1, ['a']),
    spec('c', 1, ['a', 'b']),
    spec('d', 2, []),
  ]);
  assert.deepEqual(
    startSteps(plans).map((s) => s.map((p) => p.instanceId)),
    [['a-1', 'd-1'], ['b-1', 'b-2'], ['c-1']],
  );
  assert.throws(() => startSteps(planInstances({ ...ports, scale: {} }, [spec('x', 0, ['y']), spec('y', 0, ['x'])])), /cycle/);
});

test('an instance is due once every service it starts after is ready, whatever else is still starting', () => {
  const plans = planInstances({ ...ports, scale: { identity: 2 } });
  const due = (started: string[], ready: string[]) =>
    dueToStart(plans, new Set(started), new Set(ready)).map((p) => p.instanceId);
  assert.deepEqual(due([], []), ['telemetry-1', 'registry-1', 'schema-registry-1', 'config-1']);
  const first = ['registry-1', 'telemetry-1', 'schema-registry-1', 'config-1'];
  assert.deepEqual(due(first, ['registry-1', 'config-1']), ['gateway-1'], 'the gateway needs the registry and config');
  const platform = [...first, 'gateway-1'];
  assert.deepEqual(due(platform, first), ['identity-1', 'identity-2']);
  const withIdentity = [...platform, 'identity-1', 'identity-2'];
  assert.deepEqual(due(withIdentity, [...first, 'identity-1']), [], 'identity-2 is not ready yet');
  assert.deepEqual(
    due(withIdentity, [...first, 'identity-1', 'identity-2']),
    plans.map((p) => p.instanceId).filter((id) => !withIdentity.includes(id)),
  );
});

test('the first gateway and the registry get the fixed ports; extra gateways get free ones', () => {
  const plans = planInstances({ ...ports, scale: { gateway: 2 } });
  const byId = new Map(plans.map((p) => [p.instanceId, p.fixedPort]));
  assert.equal(byId.get('registry-1'), 8761);
  assert.equal(byId.get('gateway-1'), 8080);
  assert.equal(byId.get('gateway-2'), undefined);
  assert.equal(byId.get('catalog-1'), undefined);
});

test('a release runs as one more instance of its service, with SERVICE_RELEASE (inherited values dropped)', () => {
  const plans = planInstances({ ...ports, scale: { catalog: 2 }, releases: { catalog: ['canary'] } });
  const ids = plans.filter((p) => p.service.name === 'catalog').map((p) => p.instanceId);
  assert.deepEqual(ids, ['catalog-1', 'catalog-2', 'catalog-canary']);
  const env = (instanceId: string) =>
    instanceEnv({
      plan: plans.find((p) => p.instanceId === instanceId)!,
      port: 41100,
      ...ports,
      databaseUrl: 'postgres://souk_catalog@127.0.0.1:5555/souk_catalog',
      secretsDir,
      settingsDir: '/d/settings',
      inherited: { SERVICE_RELEASE: 'rogue' },
    });
  assert.equal(env('catalog-canary').SERVICE_RELEASE, 'canary');
  assert.equal(env('catalog-1').SERVICE_RELEASE, undefined, 'the stable instances say nothing: stable');
});

test('environment of a database service: common variables, its own DATABASE_URL, no leaked admin URL', () => {
  const plan = planInstances({ ...ports, scale: {} }).find((p) => p.instanceId === 'identity-1')!;
  const env = instanceEnv({
    plan,
    port: 41000,
    ...ports,
    logLevel: 'debug',
    databaseUrl: 'postgres://souk_identity@127.0.0.1:5555/souk_identity',
    secretsDir,
    settingsDir: '/d/settings',
    inherited: {
      PATH: '/bin',
      DATABASE_URL: 'postgres://postgres@admin/postgres',
      PORT: '1',
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://otel:4318',
    },
  });
  assert.equal(env.PORT, '41000');
  assert.equal(env.HOST, '127.0.0.1');
  assert.equal(env.INSTANCE_ID, 'identity-1');
  assert.equal(env.REGISTRY_URL, 'http://127.0.0.1:8761');
  assert.equal(env.AUTH_ISSUER, 'http://localhost:8080');
  assert.equal(env.LOG_LEVEL, 'debug');
  assert.equal(env.OTEL_METRICS_EXPORTER, 'none');
  assert.equal(env.OTEL_LOGS_EXPORTER, 'none');
  assert.equal(env.OTEL_EXPORTER_OTLP_ENDPOINT, 'http://otel:4318');
  assert.equal(env.PATH, '/bin');
  assert.equal(env.DATABASE_URL, 'postgres://souk_identity@127.0.0.1:5555/souk_identity');
  assert.equal(env.IDENTITY_ADMIN_EMAIL, 'admin@souk.local');
  assert.equal(env.SECRETS_DIR, secretsDir);
  assert.equal(env.IDENTITY_ADMIN_PASSWORD_FILE, undefined);
});

test('every service but the config server and the registry reads its settings there, with a copy of its own', () => {
  const plans = planInstances({ ...ports, scale: {} });
  const envOf = (id: string, extra: { logLevel?: string; inherited?: NodeJS.ProcessEnv } = {}) =>
    instanceEnv({
      plan: plans.find((p) => p.instanceId === id)!,
      port: 41000,
      ...ports,
      databaseUrl: 'postgres://x@127.0.0.1:5555/x',
      secretsDir,
      settingsDir: '/d/settings',
      inherited: {},
      ...extra,
    });
  const catalog = envOf('catalog-1');
  assert.equal(catalog.CONFIG_SERVICE, 'config');
  assert.equal(catalog.CONFIG_CACHE_FILE, '/d/settings/catalog.json');
  assert.equal(catalog.LOG_LEVEL, undefined, 'without --log-level the config server decides the level');
  assert.equal(envOf('catalog-1', { logLevel: 'warn' }).LOG_LEVEL, 'warn', '--log-level pins it');
  assert.equal(envOf('config-1').CONFIG_SERVICE, undefined);
  assert.equal(envOf('registry-1').CONFIG_SERVICE, undefined);
  // Set by the devhost only: a stray export in the shell does not point a service elsewhere.
  assert.equal(envOf('cart-1', { inherited: { CONFIG_SERVICE: 'evil', CONFIG_CACHE_FILE: '/tmp/x' } }).CONFIG_SERVICE, 'config');
  assert.equal(envOf('config-1', { inherited: { CONFIG_SERVICE: 'evil' } }).CONFIG_SERVICE, undefined);
});

test('services record one trace in ten unless the shell chose a sampler', () => {
  const plan = planInstances({ ...ports, scale: {} }).find((p) => p.instanceId === 'gateway-1')!;
  const envWith = (inherited: NodeJS.ProcessEnv) =>
    instanceEnv({
      plan,
      port: 8080,
      ...ports,
      logLevel: 'info',
      databaseUrl: 'postgres://x@127.0.0.1:5555/x',
      secretsDir,
      settingsDir: '/d/settings',
      inherited,
    });
  const byDefault = envWith({});
  assert.equal(byDefault.OTEL_TRACES_SAMPLER, 'parentbased_traceidratio');
  assert.equal(byDefault.OTEL_TRACES_SAMPLER_ARG, String(DEFAULT_TRACE_RATIO));
  assert.equal(DEFAULT_TRACE_RATIO, 0.1);
  const all = envWith({ OTEL_TRACES_SAMPLER: 'always_on' });
  assert.equal(all.OTEL_TRACES_SAMPLER, 'always_on');
  assert.equal(all.OTEL_TRACES_SAMPLER_ARG, undefined);
  const half = envWith({ OTEL_TRACES_SAMPLER_ARG: '0.5' });
  assert.equal(half.OTEL_TRACES_SAMPLER, 'parentbased_traceidratio');
  assert.equal(half.OTEL_TRACES_SAMPLER_ARG, '0.5');
});

test('a service without a database gets no DATABASE_URL, even when the devhost has one', () => {
  const plan = planInstances({ ...ports, scale: {} }).find((p) => p.instanceId === 'registry-1')!;
  const env = instanceEnv({
    plan,
    port: 8761,
    ...ports,
    logLevel: 'info',
    secretsDir,
    settingsDir: '/d/settings',
    inherited: { DATABASE_URL: 'postgres://admin' },
  });
  assert.equal(env.DATABASE_URL, undefined);
  assert.equal(env.IDENTITY_ADMIN_EMAIL, undefined);
});

test('the registry does not get REGISTRY_URL: it never registers with itself', () => {
  const plan = planInstances({ ...ports, scale: {} }).find((p) => p.instanceId === 'registry-1')!;
  const env = instanceEnv({
    plan,
    port: 8761,
    ...ports,
    logLevel: 'info',
    secretsDir,
    settingsDir: '/d/settings',
    inherited: { REGISTRY_URL: 'http://elsewhere' },
  });
  assert.equal(env.REGISTRY_URL, undefined);
  assert.equal(env.PORT, '8761');
});

test('identity is called where the devhost put it (IDENTITY_URL), never where the registry says; an identity instance calls itself', () => {
  const plans = planInstances({ ...ports, scale: { identity: 2 } });
  const envOf = (instanceId: string, port: number, tls?: boolean) =>
    instanceEnv({
      plan: plans.find((p) => p.instanceId === instanceId)!,
      port,
      ...ports,
      logLevel: 'info',
      secretsDir,
      settingsDir: '/d/settings',
      databaseUrl: 'postgres://x@h/d',
      inherited: { IDENTITY_URL: 'https://impostor:1' },
      ...(tls ? { tls: { certFile: 'c', keyFile: 'k', caFile: 'a' } } : {}),
    });
  assert.equal(envOf('orders-1', 9000).IDENTITY_URL, 'http://127.0.0.1:41000,http://127.0.0.1:41001');
  assert.equal(envOf('gateway-1', 8080, true).IDENTITY_URL, 'https://127.0.0.1:41000,https://127.0.0.1:41001');
  assert.equal(envOf('identity-2', 41001, true).IDENTITY_URL, 'https://127.0.0.1:41001');
  assert.equal(envOf('registry-1', 8761).IDENTITY_URL, undefined);
});

test('spans go to telemetry (by mutual TLS with certificates) unless the shell names a collector; telemetry exports none and scrapes /metrics only', () => {
  const plans = planInstances({ ...ports, scale: {} });
  const envOf = (instanceId: string, inherited: NodeJS.ProcessEnv = {}, tls = true) =>
    instanceEnv({
      plan: plans.find((p) => p.instanceId === instanceId)!,
      port: 9000,
      ...ports,
      telemetryPort: 42000,
      secretsDir,
      settingsDir: '/d/settings',
      databaseUrl: 'postgres://x@h/d',
      inherited,
      ...(tls ? { tls: { certFile: 'c', keyFile: 'k', caFile: 'a' } } : {}),
    });
  assert.equal(envOf('orders-1').OTEL_EXPORTER_OTLP_ENDPOINT, 'https://127.0.0.1:42000');
  assert.equal(envOf('gateway-1', {}, false).OTEL_EXPORTER_OTLP_ENDPOINT, 'http://127.0.0.1:42000');
  assert.equal(
    envOf('orders-1', { OTEL_EXPORTER_OTLP_ENDPOINT: 'https://collector:4318' }).OTEL_EXPORTER_OTLP_ENDPOINT,
    'https://collector:4318',
  );
  assert.equal(envOf('telemetry-1').OTEL_EXPORTER_OTLP_ENDPOINT, undefined);
  assert.equal(
    envOf('telemetry-1', { OTEL_EXPORTER_OTLP_ENDPOINT: 'https://collector:4318' }).OTEL_EXPORTER_OTLP_ENDPOINT,
    undefined,
  );
  assert.equal(envOf('orders-1').ADMIN_CALLERS, 'devhost,console');
  assert.equal(envOf('orders-1', { METRICS_CALLERS: 'rogue' }).METRICS_CALLERS, 'telemetry');
});

test("only the console learns where the devhost's control listener is, and no shell can point it elsewhere", () => {
  const plans = planInstances({ ...ports, scale: {} });
  const envOf = (instanceId: string, inherited: NodeJS.ProcessEnv = {}) =>
    instanceEnv({
      plan: plans.find((p) => p.instanceId === instanceId)!,
      port: 9000,
      ...ports,
      secretsDir,
      settingsDir: '/d/settings',
      databaseUrl: 'postgres://x@h/d',
      inherited,
      controlUrl: 'https://127.0.0.1:43000',
    });
  assert.equal(envOf('console-1').DEVHOST_CONTROL_URL, 'https://127.0.0.1:43000');
  assert.equal(envOf('console-1').DATABASE_URL, undefined, 'the console has no database');
  assert.equal(envOf('orders-1', { DEVHOST_CONTROL_URL: 'https://rogue:1' }).DEVHOST_CONTROL_URL, undefined);
});

test('every registered service gets its own OAuth client id; its secret is in its secrets directory', () => {
  const plan = planInstances({ ...ports, scale: {} }).find((p) => p.instanceId === 'orders-1')!;
  const env = instanceEnv({
    plan,
    port: 9000,
    ...ports,
    logLevel: 'info',
    secretsDir,
    settingsDir: '/d/settings',
    databaseUrl: 'postgres://x@h/d',
    inherited: { SERVICE_CLIENT_ID: 'svc-stray' },
  });
  assert.equal(env.SERVICE_CLIENT_ID, 'svc-orders');
  assert.equal(env.SERVICE_CLIENT_SECRET_FILE, undefined);
  assert.equal(env.SECRETS_DIR, secretsDir);
  assert.equal(env.IDENTITY_CLIENTS_FILE, undefined);
});

test('every client is granted only known capabilities and feeds of services that exist; the least trusted get none', () => {
  const names = new Set(SERVICES.map((s) => s.name));
  for (const { clientId, scopes } of [...SERVICES.map((s) => ({ clientId: s.name, scopes: s.clientScopes })), ...EXTRA_CLIENTS]) {
    assert.equal(new Set(scopes).size, scopes.length, `${clientId}: a scope listed twice`);
    for (const scope of scopes) {
      assert.ok(isServiceScope(scope), `${clientId}: ${scope} is not in CAPABILITIES (packages/chassis/src/auth/scopes.ts)`);
      const producer = eventsReadProducer(scope);
      if (producer !== undefined) assert.ok(names.has(producer), `${clientId}: ${scope} names no service`);
    }
  }
  const grants = Object.fromEntries(SERVICES.map((s) => [s.name, [...s.clientScopes]]));
  // A third party, the platform and the edge call nothing with their own token and read no feed.
  for (const name of ['payment-provider', 'registry', 'schema-registry']) assert.deepEqual(grants[name], [], name);
  // The gateway only exchanges users' tokens for internal ones, and reads catalog's feed (its response cache).
  assert.deepEqual(grants.gateway, ['identity:token-exchange', 'events:read:catalog', 'config:releases:write']);
  // Identity and catalog only register their event schemas.
  for (const name of ['identity', 'catalog']) assert.deepEqual(grants[name], ['schemas:write'], name);
  // Only the checkout saga moves money and stock, and never refunds or voids outright (cancel decides).
  for (const [name, scopes] of Object.entries(grants)) {
    const moves = scopes.filter((s) => /^(payments|inventory):/.test(s));
    assert.deepEqual(
      moves,
      name === 'orders'
        ? ['inventory:reserve', 'inventory:release', 'payments:authorize', 'payments:capture', 'payments:cancel']
        : [],
      name,
    );
  }
  // The catch-all scope is gone.
  assert.ok(
    !Object.values(grants)
      .flat()
      .includes('internal' as never),
  );
});

test('database and role names', () => {
  assert.equal(databaseName('catalog'), 'souk_catalog');
  assert.equal(databaseName('order-history'), 'souk_order_history');
});
