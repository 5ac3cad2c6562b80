// Path parameters as Confluent reads them: subject names and version ids.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { COMPATIBILITY_LEVELS } from '../compatibility/index.ts';
import { CompatibilityLevel } from '../../contract.ts';
import { CONFLUENT_CODES, registryErrors } from '../errors.ts';
import { subjectOf, versionOf } from './params.ts';

test('versions: 1 to 2^31-1, "latest" and -1; anything else is 42202', () => {
  assert.equal(versionOf('1'), 1);
  assert.equal(versionOf('2147483647'), 2147483647);
  assert.equal(versionOf('latest'), 'latest');
  assert.equal(versionOf('-1'), 'latest');
  for (const bad of ['0', '-2', '2147483648', '1.0', '01', ' 1', 'LATEST', '', '1e3']) {
    assert.throws(
      () => versionOf(bad),
      (err) => registryErrors.invalidVersion.is(err),
      bad,
    );
  }
});

test('subjects: any text of 1 to 255 characters without control characters', () => {
  for (const ok of ['a', 'souk.catalog.PriceChanged', 'orders-value', 'a/b c:é', 'x'.repeat(255)])
    assert.equal(subjectOf(ok), ok);
  for (const bad of ['', 'a\u0000b', 'line\nbreak', '\u007f', 'x'.repeat(256)]) {
    assert.throws(
      () => subjectOf(bad),
      (err) => registryErrors.invalidSubject.is(err),
      JSON.stringify(bad),
    );
  }
});

test('the contract lists exactly the compatibility levels the rules know', () => {
  assert.deepEqual(CompatibilityLevel.anyOf.map((s) => s.const).sort(), [...COMPATIBILITY_LEVELS].sort());
});

test('every registry error has a Confluent code of its status family', () => {
  for (const [key, code] of Object.entries(CONFLUENT_CODES)) {
    const status = registryErrors[key as keyof typeof registryErrors].spec.status;
    assert.equal(String(code).slice(0, 3), String(status), key);
  }
});
