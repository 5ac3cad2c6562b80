// Key rotation decisions: when a new key is due, which keys the JWKS lists and
// when a retired key may finally be dropped.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { currentKey, expiredKeys, needsRotation, publishedKeys, type KeyMeta } from './key-rotation.ts';
import { decryptSecret, encryptSecret, parseKeyEncryptionKey } from './key-encryption.ts';
import { randomBytes } from 'node:crypto';

const HOUR = 3_600_000;
const T0 = Date.UTC(2025, 0, 1);
const policy = { accessTokenTtlMs: 15 * 60_000, graceMs: 5 * 60_000 };

const key = (kid: string, createdAt: number): KeyMeta => ({ kid, createdAt });

describe('key rotation', () => {
  it('needs a key when there is none', () => {
    assert.equal(needsRotation([], T0, 24 * HOUR), true);
  });

  it('rotates once the newest key is older than the interval', () => {
    const keys = [key('a', T0 - 48 * HOUR), key('b', T0)];
    assert.equal(needsRotation(keys, T0 + 24 * HOUR - 1, 24 * HOUR), false);
    assert.equal(needsRotation(keys, T0 + 24 * HOUR, 24 * HOUR), true);
  });

  it('signs with the newest key', () => {
    assert.equal(currentKey([key('a', T0), key('c', T0 + 2), key('b', T0 + 1)])?.kid, 'c');
  });

  it('keeps a retired key published while its tokens may live, then drops it', () => {
    const keys = [key('old', T0), key('new', T0 + 24 * HOUR)];
    const retired = T0 + 24 * HOUR;
    const kids = (now: number) => publishedKeys(keys, now, policy).map((k) => k.kid);
    assert.deepEqual(kids(retired), ['new', 'old']);
    assert.deepEqual(kids(retired + 20 * 60_000 - 1), ['new', 'old']);
    assert.deepEqual(kids(retired + 20 * 60_000), ['new']);
    assert.deepEqual(
      expiredKeys(keys, retired + 20 * 60_000, policy).map((k) => k.kid),
      ['old'],
    );
  });

  it('never drops the current key, however old', () => {
    assert.deepEqual(
      publishedKeys([key('only', T0)], T0 + 1000 * HOUR, policy).map((k) => k.kid),
      ['only'],
    );
  });

  it('dates a retirement from the next newer key, not the newest', () => {
    const keys = [key('a', T0), key('b', T0 + 1 * HOUR), key('c', T0 + 2 * HOUR)];
    // At T0 + 1h20m, 'a' (retired at 1h) has just run out; 'b' (retired at 2h) is still needed.
    assert.deepEqual(
      publishedKeys(keys, T0 + HOUR + 20 * 60_000, policy).map((k) => k.kid),
      ['c', 'b'],
    );
  });
});

describe('key encryption', () => {
  const kek = randomBytes(32);

  it('round-trips and binds the ciphertext to the key id', () => {
    const sealed = encryptSecret(kek, 'kid-1', '{"d":"secret"}');
    assert.ok(!sealed.includes('secret'));
    assert.equal(decryptSecret(kek, 'kid-1', sealed), '{"d":"secret"}');
    assert.throws(() => decryptSecret(kek, 'kid-2', sealed), /cannot decrypt/);
    assert.throws(() => decryptSecret(randomBytes(32), 'kid-1', sealed), /cannot decrypt/);
  });

  it('reads a 32-byte base64 key file and names the source when it is wrong', () => {
    assert.equal(parseKeyEncryptionKey(`${kek.toString('base64')}\n`, 'F').length, 32);
    assert.throws(
      () => parseKeyEncryptionKey(randomBytes(16).toString('base64'), 'IDENTITY_KEY_ENCRYPTION_KEY_FILE'),
      /IDENTITY_KEY_ENCRYPTION_KEY_FILE: .*16 bytes/,
    );
    assert.throws(() => parseKeyEncryptionKey('not base64!', 'F'), /F: expected/);
  });
});
