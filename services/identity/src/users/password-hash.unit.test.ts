// scrypt hashing: round trip, salting, parameters kept in the hash, malformed input.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { hashPassword, needsRehash, parseHash, verifyOrDummy, verifyPassword, type ScryptParams } from './password-hash.ts';

// Cheap parameters keep the tests fast; the format is the same.
const FAST: ScryptParams = { logN: 10, r: 8, p: 1 };

describe('password hash', () => {
  it('verifies the right password and refuses a wrong one', async () => {
    const stored = await hashPassword('Tr1cky-pw!', FAST);
    assert.equal(await verifyPassword('Tr1cky-pw!', stored), true);
    assert.equal(await verifyPassword('Tr1cky-pw?', stored), false);
  });

  it('salts every hash', async () => {
    assert.notEqual(await hashPassword('same-Passw0rd', FAST), await hashPassword('same-Passw0rd', FAST));
  });

  it('stores the parameters with the hash', async () => {
    const stored = await hashPassword('Tr1cky-pw!', FAST);
    assert.match(stored, /^\$scrypt\$ln=10,r=8,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/);
    assert.deepEqual(parseHash(stored)?.params, FAST);
  });

  it('verifies old hashes after the parameters were raised, and asks for a rehash', async () => {
    const old = await hashPassword('Tr1cky-pw!', FAST);
    const raised: ScryptParams = { logN: 11, r: 8, p: 1 };
    assert.equal(await verifyPassword('Tr1cky-pw!', old), true);
    assert.equal(needsRehash(old, raised), true);
    assert.equal(needsRehash(await hashPassword('Tr1cky-pw!', raised), raised), false);
  });

  it('treats composed and decomposed accents as the same password', async () => {
    const stored = await hashPassword('Caf\u00e9-latte-42', FAST);
    assert.equal(await verifyPassword('Cafe\u0301-latte-42', stored), true);
  });

  it('verifyOrDummy checks a stored hash, and refuses a missing one after the same work', async () => {
    const stored = await hashPassword('Tr1cky-pw!', FAST);
    assert.equal(await verifyOrDummy('Tr1cky-pw!', stored, FAST), true);
    assert.equal(await verifyOrDummy('Tr1cky-pw?', stored, FAST), false);
    // No account: never a match, whatever the password (even the dummy's own).
    assert.equal(await verifyOrDummy('Tr1cky-pw!', undefined, FAST), false);
    assert.equal(await verifyOrDummy('not a real password', undefined, FAST), false);
  });

  it('never matches a malformed or absurd hash', async () => {
    for (const bad of ['', 'plain', '$scrypt$ln=10,r=8,p=1$$', '$scrypt$ln=40,r=8,p=1$AAAA$AAAA', '$argon2id$v=19$x$y']) {
      assert.equal(await verifyPassword('anything', bad), false, bad);
    }
  });
});
