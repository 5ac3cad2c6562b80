// What each instance is given: an environment without any secret value, and a directory with only its
// own secrets. Checked against every secret the devhost really generates.
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { instanceSecretsDir, removeInstanceSecrets, secretsOfService, writeInstanceSecrets } from './instance-secrets.ts';
import { ensureSecrets, type DevSecrets } from './secrets.ts';
import { EXTRA_CLIENTS, SERVICES, instanceEnv, planInstances, serviceClientId } from './services.ts';

const root = await mkdtemp(path.join(tmpdir(), 'souk-instance-secrets-'));
after(() => rm(root, { recursive: true, force: true }));

const dev: DevSecrets = await ensureSecrets({
  dir: path.join(root, 'secrets'),
  databaseServices: SERVICES.filter((s) => s.database).map((s) => s.name),
  clients: [...SERVICES.map((s) => ({ clientId: serviceClientId(s.name), scopes: s.clientScopes })), ...EXTRA_CLIENTS],
});
const ports = { registryPort: 8761, gatewayPort: 8080, identityPorts: [41000, 41001] };
const plans = planInstances({ ...ports, scale: { catalog: 2 } });

// The shell the devhost runs in may hold a superuser URL and other credentials: none may pass on.
const SUPERUSER = 'superuser-pw-7c1d';
const inherited = {
  PATH: '/usr/bin',
  DATABASE_URL: `postgres://postgres:${SUPERUSER}@127.0.0.1:5432/postgres`,
  PGPASSWORD: 'pg-password-3a9e',
  VAULT_TOKEN: 'hvs.vault-token-51aa',
  SERVICE_CLIENT_SECRET_FILE: '/home/me/.souk/secrets/client-svc-gateway-secret',
  STRIPE_API_KEY: 'sk_live_shell_key_77',
};

/** Every secret value there is: generated ones and the shell's. */
const everySecret = [
  dev.adminPassword,
  ...dev.named.values(),
  ...dev.clients.map((c) => c.clientSecret),
  ...dev.databasePasswords.values(),
  SUPERUSER,
  ...Object.entries(inherited)
    .filter(([k]) => k !== 'PATH')
    .map(([, v]) => v),
];

const envOf = (instanceId: string) => {
  const plan = plans.find((p) => p.instanceId === instanceId)!;
  return instanceEnv({
    plan,
    port: 9000,
    ...ports,
    logLevel: 'info',
    databaseUrl: plan.service.database ? `postgres://souk_${plan.service.name.replaceAll('-', '_')}@127.0.0.1:5432/x` : undefined,
    secretsDir: instanceSecretsDir(path.join(root, 'run'), instanceId),
    settingsDir: '/d/settings',
    inherited,
  });
};

test('no instance environment holds a secret value, the shell superuser URL included', () => {
  assert.ok(everySecret.length > 20);
  for (const plan of plans) {
    const env = envOf(plan.instanceId);
    const text = Object.entries(env)
      .map(([k, v]) => `${k}=${v}`)
      .join('\n');
    for (const secret of everySecret) assert.ok(!text.includes(secret), `${plan.instanceId}'s environment holds a secret`);
    assert.equal(env.PGPASSWORD, undefined);
    assert.equal(env.SECRETS_DIR, instanceSecretsDir(path.join(root, 'run'), plan.instanceId));
    assert.ok(!Object.values(env).some((v) => v.includes(dev.dir)), 'nothing points into the shared secrets directory');
  }
});

test('a database URL with a password is refused for a service', () => {
  const plan = plans.find((p) => p.instanceId === 'orders-1')!;
  assert.throws(
    () =>
      instanceEnv({
        plan,
        port: 1,
        ...ports,
        logLevel: 'info',
        databaseUrl: 'postgres://u:p@h/d',
        secretsDir: '/x',
        settingsDir: '/d/settings',
        inherited: {},
      }),
    /must not carry the password/,
  );
});

test("each instance's directory holds exactly its own secrets, 0600 in a 0700 directory", async () => {
  const run = path.join(root, 'run');
  const expected: Record<string, string[]> = {
    registry: [],
    'schema-registry': ['database-password', 'service-client-secret'],
    identity: [
      'database-password',
      'identity-admin-password',
      'identity-clients',
      'identity-key-encryption-key',
      'service-client-secret',
    ],
    'payment-provider': ['database-password', 'payment-provider-admin-key', 'payment-provider-api-key', 'service-client-secret'],
    payments: ['database-password', 'payment-provider-api-key', 'service-client-secret'],
    orders: ['database-password', 'service-client-secret'],
    // Its database holds only the rate limit buckets.
    gateway: ['database-password', 'service-client-secret'],
  };
  for (const plan of plans) {
    const dir = instanceSecretsDir(run, plan.instanceId);
    const own = secretsOfService(plan.service, dev);
    writeInstanceSecrets(dir, own);
    assert.equal((await stat(dir)).mode & 0o777, 0o700);
    const names = (await readdir(dir)).sort();
    if (expected[plan.service.name]) assert.deepEqual(names, expected[plan.service.name], plan.instanceId);
    const values = new Map<string, string>();
    for (const name of names) {
      assert.equal((await stat(path.join(dir, name))).mode & 0o777, 0o600, `${plan.instanceId}/${name}`);
      values.set(name, (await readFile(path.join(dir, name), 'utf8')).replace(/\n$/, ''));
    }
    // Its own client secret and password, and no other service's.
    const client = dev.clients.find((c) => c.clientId === serviceClientId(plan.service.name))!;
    if (plan.service.usesRegistry) assert.equal(values.get('service-client-secret'), client.clientSecret);
    if (plan.service.database) assert.equal(values.get('database-password'), dev.databasePasswords.get(plan.service.name));
    const others = [
      ...dev.clients.filter((c) => c !== client).map((c) => c.clientSecret),
      ...[...dev.databasePasswords].filter(([s]) => s !== plan.service.name).map(([, p]) => p),
    ];
    for (const value of values.values()) {
      if (plan.service.name === 'identity' && value.startsWith('[')) continue; // identity-clients: every client, by design
      assert.ok(!others.some((o) => value.includes(o)), `${plan.instanceId} holds another service's secret`);
    }
  }
  // The provider's admin key reaches only the provider.
  const adminKey = dev.named.get('payment-provider-admin-key')!;
  for (const plan of plans.filter((p) => p.service.name !== 'payment-provider')) {
    assert.ok(![...secretsOfService(plan.service, dev).values()].includes(adminKey), plan.instanceId);
  }
});

test('a restart rewrites the directory from scratch; removing it leaves nothing', async () => {
  const dir = instanceSecretsDir(path.join(root, 'again'), 'orders-1');
  const orders = SERVICES.find((s) => s.name === 'orders')!;
  writeInstanceSecrets(dir, new Map([['stale', 'x']]));
  writeInstanceSecrets(dir, secretsOfService(orders, dev));
  assert.deepEqual((await readdir(dir)).sort(), ['database-password', 'service-client-secret']);
  removeInstanceSecrets(dir);
  await assert.rejects(stat(dir), { code: 'ENOENT' });
});

test('tuning variables that merely mention a token pass on; names that end in one do not', () => {
  const env = instanceEnv({
    plan: plans.find((p) => p.instanceId === 'identity-1')!,
    port: 9000,
    ...ports,
    logLevel: 'info',
    databaseUrl: 'postgres://souk_identity@127.0.0.1:5432/x',
    secretsDir: instanceSecretsDir(path.join(root, 'run'), 'identity-1'),
    settingsDir: '/d/settings',
    inherited: { IDENTITY_TOKEN_PER_IP_BURST: '1000', IDENTITY_EXCHANGED_TOKEN_TTL_SECONDS: '120', GITHUB_TOKEN: 'ghp_x' },
  });
  assert.equal(env.IDENTITY_TOKEN_PER_IP_BURST, '1000');
  assert.equal(env.IDENTITY_EXCHANGED_TOKEN_TTL_SECONDS, '120');
  assert.equal(env.GITHUB_TOKEN, undefined);
});
