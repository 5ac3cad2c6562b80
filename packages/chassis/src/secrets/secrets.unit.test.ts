// The secrets module over real files: one file per secret in SECRETS_DIR, the older *_FILE
// variables first, and errors that name the secret and never hold its value.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { loadConfig } from '../config.ts';
import { openSecrets, SecretsConfig, type SecretError } from './index.ts';

const root = await mkdtemp(path.join(tmpdir(), 'souk-chassis-secrets-'));
after(() => rm(root, { recursive: true, force: true }));

const VALUE = 'aXk4-Very-Secret-Value';

async function dirWith(name: string, files: Record<string, string>): Promise<string> {
  const dir = path.join(root, name);
  await rm(dir, { recursive: true, force: true });
  const { mkdir } = await import('node:fs/promises');
  await mkdir(dir, { mode: 0o700 });
  for (const [file, content] of Object.entries(files)) await writeFile(path.join(dir, file), content, { mode: 0o600 });
  return dir;
}

const secretsOf = (env: Record<string, string>) => openSecrets(loadConfig(SecretsConfig, env), { service: 'orders' });

/** `named`: what the message must name (the secret, or the *_FILE variable that was given). */
function failure(err: unknown, name: string, named = name): boolean {
  const e = err as SecretError;
  assert.equal(e.code, 'SOUK_SECRET_UNAVAILABLE');
  assert.equal(e.secret, name);
  assert.ok(e.message.includes(named), e.message);
  assert.ok(!e.message.includes(VALUE), 'the message holds no value');
  return true;
}

test('a secret is the file of its name in SECRETS_DIR, without the trailing line break', async () => {
  const dir = await dirWith('plain', { 'database-password': `${VALUE}\n`, 'two-lines': ' a b \r\n' });
  const secrets = secretsOf({ SECRETS_DIR: dir });
  assert.equal(await secrets.read('database-password'), VALUE);
  // Other whitespace belongs to the secret (a password may have spaces).
  assert.equal(await secrets.read('two-lines'), ' a b ');
});

test('a missing secret is an error naming it and where it was looked for', async () => {
  const dir = await dirWith('missing', {});
  const secrets = secretsOf({ SECRETS_DIR: dir });
  await assert.rejects(secrets.read('service-client-secret'), (err: Error) => {
    failure(err, 'service-client-secret');
    assert.ok(err.message.includes(path.join(dir, 'service-client-secret')), err.message);
    return true;
  });
  assert.equal(await secrets.optional('service-client-secret'), undefined);
});

test('no source configured: the error says which variables would give one', async () => {
  await assert.rejects(
    secretsOf({}).read('database-password', { variable: 'DATABASE_PASSWORD_FILE', path: undefined }),
    (err: Error) => {
      failure(err, 'database-password');
      assert.match(err.message, /SECRETS_DIR/);
      assert.match(err.message, /DATABASE_PASSWORD_FILE is not set/);
      return true;
    },
  );
});

test('an empty secret file is an error, not an empty password', async () => {
  const dir = await dirWith('empty', { 'database-password': '\n' });
  await assert.rejects(
    secretsOf({ SECRETS_DIR: dir }).read('database-password'),
    (err: Error) => failure(err, 'database-password') && /is empty/.test(err.message),
  );
});

test('a *_FILE variable wins over SECRETS_DIR, and its errors name the variable', async () => {
  const dir = await dirWith('legacy', { 'payment-provider-api-key': 'from-the-directory' });
  const file = path.join(root, 'legacy-key');
  await writeFile(file, `${VALUE}\n`, { mode: 0o600 });
  const secrets = secretsOf({ SECRETS_DIR: dir });
  const read = (p: string) => secrets.read('payment-provider-api-key', { variable: 'PAYMENT_PROVIDER_API_KEY_FILE', path: p });
  assert.equal(await read(file), VALUE);
  await assert.rejects(
    read(path.join(root, 'nowhere')),
    (err: Error) =>
      failure(err, 'payment-provider-api-key', 'PAYMENT_PROVIDER_API_KEY_FILE: cannot read') && /\(ENOENT\)/.test(err.message),
  );
  assert.equal(await secrets.read('payment-provider-api-key', { variable: 'X_FILE', path: undefined }), 'from-the-directory');
});

test('a name that would leave the directory is refused', async () => {
  const dir = await dirWith('escape', {});
  await writeFile(path.join(root, 'outside'), VALUE);
  const secrets = secretsOf({ SECRETS_DIR: dir });
  for (const name of ['../outside', '/etc/passwd', '', 'A']) {
    await assert.rejects(secrets.read(name), /not a valid secret name/);
  }
});

test('an unreadable file is an error naming the secret, not "missing"', async (t) => {
  if (process.getuid?.() === 0) return t.skip('root reads any file');
  const dir = await dirWith('unreadable', { 'database-password': VALUE });
  const { chmod } = await import('node:fs/promises');
  await chmod(path.join(dir, 'database-password'), 0o000);
  await assert.rejects(
    secretsOf({ SECRETS_DIR: dir }).read('database-password'),
    (err: Error) => failure(err, 'database-password') && /EACCES/.test(err.message),
  );
});

test('VAULT_ADDR without VAULT_TOKEN_FILE is refused at start', () => {
  assert.throws(() => secretsOf({ VAULT_ADDR: 'http://127.0.0.1:1' }), /VAULT_TOKEN_FILE/);
});
