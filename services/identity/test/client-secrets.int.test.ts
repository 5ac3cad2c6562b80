// Client secrets at rest: SHA-256, and the start-up sync that replaces hashes
// made before (scrypt) without the client noticing.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import pg from 'pg';
import { startService } from '@souk/chassis';
import { hashPassword } from '../src/users/password-hash.ts';
import { identityService } from '../src/service.ts';
import { prepareEnv, request, TOKEN } from './harness.ts';

const CLIENT = { clientId: 'cart-service', clientSecret: 'cart-secret-0123456789abcdef', scopes: ['events:read:identity'] };

test('secrets are stored as SHA-256; an old scrypt hash still signs the client in and is replaced at the next start', async () => {
  const prepared = await prepareEnv({ clients: [CLIENT] });
  const db = new pg.Client({ connectionString: prepared.database.url });
  await db.connect();
  const storedHash = async () =>
    (await db.query<{ secret_hash: string }>('select secret_hash from oauth_clients where client_id = $1', [CLIENT.clientId]))
      .rows[0]!.secret_hash;
  const token = (url: string, secret = CLIENT.clientSecret) =>
    request(url, 'POST', TOKEN, {
      form: { grant_type: 'client_credentials', client_id: CLIENT.clientId, client_secret: secret },
    });
  try {
    let service = await startService(identityService, { env: prepared.env });
    try {
      assert.match(await storedHash(), /^\$sha256\$/);
      assert.equal((await token(service.url)).status, 200);
      assert.equal((await token(service.url, 'cart-secret-0123456789abcdeX')).status, 401);
    } finally {
      await service.stop();
    }

    // As a database from before the change holds it.
    await db.query('update oauth_clients set secret_hash = $1 where client_id = $2', [
      await hashPassword(CLIENT.clientSecret, { logN: 10, r: 8, p: 1 }),
      CLIENT.clientId,
    ]);
    service = await startService(identityService, { env: prepared.env });
    try {
      assert.match(await storedHash(), /^\$sha256\$/, 'the sync replaced the scrypt hash');
      assert.equal((await token(service.url)).status, 200);
    } finally {
      await service.stop();
    }
  } finally {
    await db.end();
    await prepared.cleanup();
  }
});
