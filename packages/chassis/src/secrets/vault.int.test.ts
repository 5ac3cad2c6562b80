// The Vault KV v2 client against a stand-in for Vault: Vault itself cannot be installed here (no
// registry this project reaches ships it, no container runtime), so testing/vault-stand-in.ts serves
// exactly the documented read endpoint, GET /v1/<mount>/data/<path>, and nothing else.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { loadConfig } from '../config.ts';
import { startService, defineService } from '../service.ts';
import { freePort, startVaultStandIn, type VaultStandIn } from '../testing/index.ts';
import { openSecrets, SecretsConfig, type SecretError } from './index.ts';

const TOKEN = 'hvs.stand-in-token-0123456789';
const VALUE = 'db-password-from-vault-9f3a';
let vault: VaultStandIn;
let dir: string;
let tokenFile: string;

before(async () => {
  vault = await startVaultStandIn({
    token: TOKEN,
    entries: {
      'souk/orders': { 'database-password': VALUE, 'service-client-secret': 'client-secret-from-vault' },
      'team/shared': { 'database-password': 'other' },
      'souk/broken': { 'database-password': 42 },
    },
  });
  dir = await mkdtemp(path.join(tmpdir(), 'souk-vault-'));
  tokenFile = path.join(dir, 'token');
  await writeFile(tokenFile, `${TOKEN}\n`, { mode: 0o600 });
});
after(async () => {
  await vault.close();
  await rm(dir, { recursive: true, force: true });
});

const secretsOf = (env: Record<string, string>, service = 'orders') =>
  openSecrets(loadConfig(SecretsConfig, { VAULT_ADDR: vault.url, VAULT_TOKEN_FILE: tokenFile, ...env }), { service });

const refused = (pattern: RegExp) => (err: Error) => {
  assert.equal((err as SecretError).code, 'SOUK_SECRET_UNAVAILABLE');
  assert.match(err.message, pattern);
  assert.ok(!err.message.includes(TOKEN), 'the token never appears in an error');
  return true;
};

test('secrets come from secret/data/souk/<service>, every one from a single read with the token', async () => {
  const before = vault.requests.length;
  const secrets = secretsOf({});
  assert.equal(await secrets.read('database-password'), VALUE);
  assert.equal(await secrets.read('service-client-secret'), 'client-secret-from-vault');
  assert.equal(await secrets.optional('identity-clients'), undefined);
  assert.deepEqual(vault.requests.slice(before), [{ method: 'GET', path: '/v1/secret/data/souk/orders', tokenValid: true }]);
});

test('VAULT_KV_PATH picks another path; a key missing there is an error naming the key and the path', async () => {
  const secrets = secretsOf({ VAULT_KV_PATH: 'team/shared' });
  assert.equal(await secrets.read('database-password'), 'other');
  await assert.rejects(
    secrets.read('service-client-secret'),
    refused(/service-client-secret: not found in Vault .*\/v1\/secret\/data\/team\/shared/),
  );
});

test("a wrong token: 403 with Vault's own reason, and no token in the message", async () => {
  await writeFile(path.join(dir, 'wrong'), 'hvs.wrong');
  await assert.rejects(
    secretsOf({ VAULT_TOKEN_FILE: path.join(dir, 'wrong') }).read('database-password'),
    refused(/database-password: Vault .* answered 403: permission denied .*VAULT_TOKEN_FILE/),
  );
});

test('a path with no secret or a wrong mount: 404 saying which variables to check', async () => {
  await assert.rejects(secretsOf({}, 'nobody').read('database-password'), refused(/answered 404 .*VAULT_KV_PATH/));
  await assert.rejects(
    secretsOf({ VAULT_KV_MOUNT: 'kv' }).read('database-password'),
    refused(/\/v1\/kv\/data\/souk\/orders answered 404/),
  );
});

test('a value that is not a string is refused', async () => {
  await assert.rejects(secretsOf({}, 'broken').read('database-password'), refused(/holds it as number/));
});

test('Vault unreachable: the error names the address', async () => {
  const port = await freePort();
  const secrets = openSecrets(
    loadConfig(SecretsConfig, { VAULT_ADDR: `http://127.0.0.1:${port}`, VAULT_TOKEN_FILE: tokenFile }),
    { service: 'orders' },
  );
  await assert.rejects(
    secrets.read('database-password'),
    refused(new RegExp(`127\\.0\\.0\\.1:${port}.* unreachable \\(ECONNREFUSED\\)`)),
  );
});

test('a service reads its secrets from Vault through ctx.secrets when VAULT_ADDR is set', async () => {
  let seen: string | undefined;
  const service = defineService({
    name: 'orders',
    version: '0.0.0',
    async setup(ctx) {
      seen = await ctx.secrets.read('service-client-secret');
    },
  });
  const running = await startService(service, {
    env: { VAULT_ADDR: vault.url, VAULT_TOKEN_FILE: tokenFile, LOG_LEVEL: 'silent', STATIC_SERVICES: '' },
  });
  await running.stop();
  assert.equal(seen, 'client-secret-from-vault');
});
