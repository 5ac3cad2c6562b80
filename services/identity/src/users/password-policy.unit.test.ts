// Password rules: each rule on its own, and all broken rules reported together.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { characterClasses, checkPassword } from './password-policy.ts';
import { emailLocalPart, isValidEmail, normaliseEmail } from './email.ts';

const rules = (password: string, email = 'ann@example.com') => {
  const verdict = checkPassword(password, email);
  return verdict.ok ? [] : verdict.reasons.map((r) => r.rule);
};

describe('password policy', () => {
  it('accepts a mixed password of 10 characters', () => {
    assert.deepEqual(checkPassword('Tr1cky-pw!', 'ann@example.com'), { ok: true });
  });

  it('refuses fewer than 10 characters, counting code points', () => {
    assert.deepEqual(rules('Ab1!xyz9'), ['too_short']);
    assert.deepEqual(rules('Ab1!😀😀😀😀😀'), ['too_short']); // 9 code points, 14 UTF-16 units
  });

  it('refuses common passwords whatever their case', () => {
    assert.deepEqual(rules('Password123!'), ['common']);
    assert.ok(rules('P@ssw0rd123').includes('common'));
    assert.ok(rules('QWERTYUIOP1').includes('common'));
  });

  it('refuses passwords containing the email local part', () => {
    assert.deepEqual(rules('xX-Annabel-9', 'annabel@example.com'), ['contains_email']);
    assert.deepEqual(rules('ANNABEL-and-9', 'annabel@example.com'), ['contains_email']);
  });

  it('ignores local parts too short to matter', () => {
    assert.deepEqual(rules('ab-Cdefgh-1', 'ab@example.com'), []);
  });

  it('needs 3 character classes below 16 characters', () => {
    assert.deepEqual(rules('abcdefghijk1'), ['too_few_character_classes']);
    assert.deepEqual(rules('abcdefghijK1'), []);
    assert.deepEqual(rules('correct horse battery'), []); // passphrase: 21 characters, 2 classes
  });

  it('reports every broken rule at once', () => {
    assert.deepEqual(rules('annpass', 'ann@example.com'), ['too_short', 'contains_email', 'too_few_character_classes']);
  });

  it('counts character classes beyond ASCII', () => {
    assert.equal(characterClasses('äÄ5 '), 4);
    assert.equal(characterClasses('aaaa'), 1);
  });
});

describe('email', () => {
  it('normalises by trimming and lowercasing', () => {
    assert.equal(normaliseEmail('  Ann@Example.COM '), 'ann@example.com');
  });

  it('accepts plausible addresses and refuses the rest', () => {
    for (const ok of ['ann@example.com', 'a.b+c@mail.example.org']) assert.ok(isValidEmail(ok), ok);
    for (const bad of [
      '',
      'ann',
      'ann@',
      '@example.com',
      'ann@example',
      'a n@example.com',
      'ann@@example.com',
      `${'a'.repeat(250)}@x.org`,
    ]) {
      assert.ok(!isValidEmail(bad), bad);
    }
  });

  it('takes the local part before the last @', () => {
    assert.equal(emailLocalPart('ann@example.com'), 'ann');
  });
});
