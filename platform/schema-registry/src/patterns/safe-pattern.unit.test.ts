// The RE2 wrapper every schema pattern goes through: catastrophic patterns
// match in linear time, what RE2 cannot run is a coded 422, and ajv compiled
// with the registry's options validates through it.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Ajv } from 'ajv';
import { isSoukError } from '@souk/chassis';
import { registryErrors } from '../errors.ts';
import { AJV_OPTIONS } from '../registry/schema-text.ts';
import { compilePattern, MAX_MATCH_INPUT_LENGTH, MAX_PATTERN_LENGTH } from './safe-pattern.ts';

const REDOS = '^(a+)+$';
// Under a backtracking engine this input takes longer than the age of the universe against REDOS.
const EVIL = `${'a'.repeat(50_000)}!`;

const isPatternError = (err: unknown) => isSoukError(err) && err.code === registryErrors.patternUnsupported.code;

test('a catastrophic pattern compiles and matches a long non-matching string (RE2 does not backtrack)', () => {
  const re = compilePattern(REDOS, 'u');
  assert.equal(re.test(EVIL), false);
  assert.equal(re.test('aaaa'), true);
});

test('ECMA-262 syntax JSON Schema uses is translated: named groups, \\u{…}, classes, anchors', () => {
  assert.equal(compilePattern('^(?<prefix>x)-\\d+$', 'u').test('x-12'), true);
  assert.equal(compilePattern('^\\u{1F600}$', 'u').test('😀'), true);
  assert.equal(compilePattern('^x-', 'u').test('y-x-'), false);
  assert.equal(compilePattern('abc', 'u').test('xxabcxx'), true, 'unanchored patterns search, as JSON Schema says');
});

test('lookaround, backreferences, broken syntax and overlong patterns are SOUK_SCHEMA_REGISTRY_PATTERN_UNSUPPORTED', () => {
  for (const pattern of ['(?=a)b', '(a)\\1', '[', 'a'.repeat(MAX_PATTERN_LENGTH + 1)]) {
    assert.throws(() => compilePattern(pattern, 'u'), isPatternError, pattern.slice(0, 20));
  }
});

test('an input over the match limit is refused, not matched', () => {
  assert.throws(() => compilePattern('a', 'u').test('a'.repeat(MAX_MATCH_INPUT_LENGTH + 1)), isPatternError);
});

test("ajv with the registry's options validates `pattern` and `patternProperties` through RE2", () => {
  const ajv = new Ajv(AJV_OPTIONS);
  const validate = ajv.compile({
    type: 'object',
    properties: { name: { type: 'string', pattern: REDOS } },
    patternProperties: { [REDOS]: { type: 'integer' } },
  });
  assert.equal(validate({ name: EVIL }), false);
  assert.equal(validate({ name: 'aaa' }), true);
  assert.equal(validate({ [EVIL]: 'not an integer' }), true, 'the key does not match, so nothing constrains it');
  assert.equal(validate({ aaa: 'not an integer' }), false, 'the key matches: its value must be an integer');
  assert.throws(() => ajv.compile({ type: 'string', pattern: '(?<=a)b' }), isPatternError);
});
