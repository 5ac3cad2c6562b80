// Dev secrets: generated once with private permissions, then read back unchanged on every restart.
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { databasePasswordFile, ensureSecrets, type ClientEntry } from './secrets.ts';

const root = await mkdtemp(path.join(tmpdir(), 'souk-secrets-'));
after(() => rm(root, { recursive: true, force: true }));

const input = (dir: string) => ({
  dir,
  databaseServices: ['identity', 'catalog'],
  clients: [
    { clientId: 'svc-catalog', scopes: ['events:read:orders'] },
    { clientId: 'souk-loadgen', scopes: ['orders:read'] },
  ],
});

test('first start generates every secret; files 0600 in a 0700 directory', async () => {
  const dir = path.join(root, 'first');
  const s = await ensureSecrets(input(dir));
  assert.equal(s.adminPasswordCreated, true);
  assert.ok(s.adminPassword.length >= 20);
  assert.equal((await stat(dir)).mode & 0o777, 0o700);
  for (const file of [s.adminPasswordFile, s.identityKekFile, s.clientsFile, databasePasswordFile(dir, 'catalog')]) {
    assert.equal((await stat(file)).mode & 0o777, 0o600, file);
  }
  assert.equal(Buffer.from((await readFile(s.identityKekFile, 'utf8')).trim(), 'base64').length, 32);
  assert.deepEqual([...s.databasePasswords.keys()], ['identity', 'catalog']);
  const clients = JSON.parse(await readFile(s.clientsFile, 'utf8')) as ClientEntry[];
  assert.deepEqual(
    clients.map((c) => [c.clientId, c.scopes]),
    [
      ['svc-catalog', ['events:read:orders']],
      ['souk-loadgen', ['orders:read']],
    ],
  );
  assert.ok(clients.every((c) => c.clientSecret.length >= 32));
});

test('a restart reuses every secret and reports the admin password as not new', async () => {
  const dir = path.join(root, 'reuse');
  const first = await ensureSecrets(input(dir));
  const kek = await readFile(first.identityKekFile, 'utf8');
  const second = await ensureSecrets(input(dir));
  assert.equal(second.adminPasswordCreated, false);
  assert.equal(second.adminPassword, first.adminPassword);
  assert.deepEqual(second.databasePasswords, first.databasePasswords);
  assert.deepEqual(second.clients, first.clients);
  assert.equal(await readFile(second.identityKekFile, 'utf8'), kek);
});

test('two data dirs never share a generated value', async () => {
  const a = await ensureSecrets(input(path.join(root, 'a')));
  const b = await ensureSecrets(input(path.join(root, 'b')));
  assert.notEqual(a.adminPassword, b.adminPassword);
  assert.notEqual(a.databasePasswords.get('catalog'), b.databasePasswords.get('catalog'));
  assert.notEqual(a.clients[0]?.clientSecret, b.clients[0]?.clientSecret);
});

test('a service added to the table gets a client and a password; existing ones are kept', async () => {
  const dir = path.join(root, 'grow');
  const first = await ensureSecrets(input(dir));
  const grown = {
    ...input(dir),
    databaseServices: ['identity', 'catalog', 'orders'],
    clients: [...input(dir).clients, { clientId: 'svc-orders', scopes: ['events:read:orders'] }],
  };
  const second = await ensureSecrets(grown);
  assert.equal(second.databasePasswords.get('catalog'), first.databasePasswords.get('catalog'));
  assert.ok(second.databasePasswords.get('orders'));
  assert.equal(second.clients.find((c) => c.clientId === 'svc-catalog')?.clientSecret, first.clients[0]?.clientSecret);
  assert.ok(second.clients.find((c) => c.clientId === 'svc-orders')?.clientSecret);
});

test('an empty secret file is an error, not silently an empty password', async () => {
  const dir = path.join(root, 'empty');
  const s = await ensureSecrets(input(dir));
  await writeFile(s.adminPasswordFile, '');
  await assert.rejects(ensureSecrets(input(dir)), /is empty/);
});
