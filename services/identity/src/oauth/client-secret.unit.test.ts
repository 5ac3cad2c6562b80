import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hashPassword } from '../users/password-hash.ts';
import { clientSecretMatches, hashClientSecret, isCurrentClientSecretHash } from './client-secret.ts';

test('a client secret matches its own SHA-256 hash only', async () => {
  const stored = hashClientSecret('s3cr3t-made-by-a-machine-0123');
  assert.ok(isCurrentClientSecretHash(stored));
  assert.doesNotMatch(stored, /s3cr3t/, 'the secret itself is not stored');
  assert.equal(await clientSecretMatches('s3cr3t-made-by-a-machine-0123', stored), true);
  assert.equal(await clientSecretMatches('s3cr3t-made-by-a-machine-0124', stored), false);
  assert.equal(await clientSecretMatches('', stored), false);
});

test('a secret stored as scrypt before still verifies, and is not the current format', async () => {
  const legacy = await hashPassword('legacy-secret-0123456789', { logN: 10, r: 8, p: 1 });
  assert.equal(isCurrentClientSecretHash(legacy), false);
  assert.equal(await clientSecretMatches('legacy-secret-0123456789', legacy), true);
  assert.equal(await clientSecretMatches('legacy-secret-0123456780', legacy), false);
});

test('a damaged stored hash never matches', async () => {
  assert.equal(await clientSecretMatches('anything-0123456789', '$sha256$'), false);
  assert.equal(await clientSecretMatches('anything-0123456789', '$sha256$not-base64url!!'), false);
});
