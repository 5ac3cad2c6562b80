// API keys: which key a header carries, and the key files' rules.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseKeyFile } from '../config.ts';
import { keyKind, sameKey } from './api-keys.ts';

const keys = { merchant: 'sk_test_0123456789abcdef', admin: 'admin_0123456789abcdef' };

test('the header names the merchant key, the admin key, or neither', () => {
  assert.equal(keyKind(`Bearer ${keys.merchant}`, keys), 'merchant');
  assert.equal(keyKind(`bearer  ${keys.admin} `, keys), 'admin');
  for (const header of [
    undefined,
    '',
    'Bearer',
    `Basic ${keys.merchant}`,
    `Bearer ${keys.merchant}x`,
    `Bearer ${keys.merchant} extra`,
  ]) {
    assert.equal(keyKind(header, keys), undefined, String(header));
  }
  assert.equal(sameKey('a', 'a'), true);
  assert.equal(sameKey('a', 'ab'), false);
});

test('a key file holds one line of at least 16 characters', () => {
  assert.equal(parseKeyFile('sk_test_0123456789abcdef\n', 'V'), 'sk_test_0123456789abcdef');
  assert.throws(() => parseKeyFile('short\n', 'V'), /^Error: V: the key must be at least 16/);
  assert.throws(() => parseKeyFile('two words are not a key\n', 'V'), /V: the key must be one line without spaces/);
  assert.throws(() => parseKeyFile('sk_test_0123456789abcdef\nmore\n', 'V'), /one line/);
});
