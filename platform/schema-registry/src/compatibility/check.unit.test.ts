// Levels: which direction each checks, transitive levels against several
// versions, NONE, level parsing, and souk's PriceChanged evolution example.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  checkAgainst,
  checkRegistration,
  COMPATIBILITY_LEVELS,
  directionsOf,
  parseCompatibilityLevel,
  versionsToCheck,
} from './index.ts';

const str = { type: 'string' };
const int = { type: 'integer' };

/** PriceChanged as TypeBox generates it; `closed` adds additionalProperties: false. */
function priceChanged(version: 1 | 2 | 3, closed: boolean) {
  const properties: Record<string, unknown> = { productId: str, oldPriceCents: int, newPriceCents: int, currency: str };
  const required = ['productId', 'oldPriceCents', 'newPriceCents', 'currency'];
  if (version >= 2) properties.reason = str;
  if (version === 3) {
    delete properties.currency;
    required.pop();
  }
  return { type: 'object', properties, required, ...(closed ? { additionalProperties: false } : {}) };
}

describe('PriceChanged evolution', () => {
  for (const closed of [false, true]) {
    const model = closed ? 'closed' : 'open';

    test(`v2 adds an optional reason: BACKWARD compatible (${model} content model${closed ? '' : ', lenient policy'})`, () => {
      const options = closed ? {} : { openContentModel: 'lenient' as const };
      const result = checkRegistration(
        'BACKWARD',
        priceChanged(2, closed),
        [{ version: 1, schema: priceChanged(1, closed) }],
        options,
      );
      assert.deepEqual(result, { compatible: true, messages: [], incompatibilities: [] });
    });

    test(`v3 drops the required currency: FORWARD and FULL refuse it, naming currency (${model})`, () => {
      for (const level of ['FORWARD', 'FULL'] as const) {
        const result = checkRegistration(level, priceChanged(3, closed), [{ version: 2, schema: priceChanged(2, closed) }]);
        assert.equal(result.compatible, false, level);
        assert.ok(
          result.messages.some((m) => m.includes('#/properties/currency') && m.includes('"currency"')),
          result.messages.join('\n'),
        );
      }
    });
  }

  test('v3 with a closed model: BACKWARD refuses it, the new schema cannot read the currency v2 wrote', () => {
    const result = checkRegistration('BACKWARD', priceChanged(3, true), [{ version: 2, schema: priceChanged(2, true) }]);
    assert.equal(result.compatible, false);
    assert.deepEqual(result.messages, [
      'PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL at #/properties/currency: version 2 has the property "currency" but the new schema ' +
        'does not declare it and its closed content model (additionalProperties: false) refuses it',
    ]);
  });

  test('v3 with an open model: BACKWARD accepts it, as Confluent does (the new reader ignores currency)', () => {
    assert.equal(
      checkRegistration('BACKWARD', priceChanged(3, false), [{ version: 2, schema: priceChanged(2, false) }]).compatible,
      true,
    );
  });

  test('v2 with an open model is refused by default, as Confluent refuses it', () => {
    const result = checkRegistration('BACKWARD', priceChanged(2, false), [{ version: 1, schema: priceChanged(1, false) }]);
    assert.equal(result.compatible, false);
    assert.match(result.messages[0]!, /^OPTIONAL_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL at #\/properties\/reason: /);
  });
});

describe('levels', () => {
  const v1 = { type: 'object', properties: { a: str }, required: ['a'], additionalProperties: false };
  const optionalAdded = { ...v1, properties: { a: str, b: str } };

  test('BACKWARD reads old with new; FORWARD reads new with old; FULL both; NONE nothing', () => {
    assert.equal(checkAgainst('BACKWARD', optionalAdded, [{ version: 1, schema: v1 }]).compatible, true);
    assert.equal(checkAgainst('FORWARD', optionalAdded, [{ version: 1, schema: v1 }]).compatible, false);
    assert.equal(checkAgainst('FULL', optionalAdded, [{ version: 1, schema: v1 }]).compatible, false);
    assert.equal(checkAgainst('NONE', { type: 'integer' }, [{ version: 1, schema: v1 }]).compatible, true);
    // The same change the other way round swaps the verdicts.
    assert.equal(checkAgainst('BACKWARD', v1, [{ version: 1, schema: optionalAdded }]).compatible, false);
    assert.equal(checkAgainst('FORWARD', v1, [{ version: 1, schema: optionalAdded }]).compatible, true);
  });

  test('messages name the version and who reads whom', () => {
    const backward = checkAgainst('BACKWARD', { type: 'integer' }, [{ version: 4, schema: { type: 'number' } }]);
    assert.deepEqual(backward.messages, ['TYPE_NARROWED at #/: version 4 allows number but the new schema only integer']);
    const forward = checkAgainst('FORWARD', { type: 'number' }, [{ version: 4, schema: { type: 'integer' } }]);
    assert.deepEqual(forward.messages, ['TYPE_NARROWED at #/: the new schema allows number but version 4 only integer']);
    assert.deepEqual(
      forward.incompatibilities.map((i) => [i.version, i.direction]),
      [[4, 'forward']],
    );
  });

  test('plain levels check the latest version only; transitive ones check them all', () => {
    // v1 allows up to 100, v2 narrowed to 10 under NONE; v3 = v2 is fine against v2, not against v1.
    const versions = [
      { version: 1, schema: { type: 'string', maxLength: 100 } },
      { version: 2, schema: { type: 'string', maxLength: 10 } },
    ];
    const candidate = { type: 'string', maxLength: 10 };
    assert.equal(checkRegistration('BACKWARD', candidate, versions).compatible, true);
    const transitive = checkRegistration('BACKWARD_TRANSITIVE', candidate, versions);
    assert.equal(transitive.compatible, false);
    assert.deepEqual(
      transitive.incompatibilities.map((i) => i.version),
      [1],
    );
    assert.match(
      transitive.messages[0]!,
      /^MAX_LENGTH_DECREASED at #\/maxLength: the new schema allows at most 10 characters, version 1 100$/,
    );
  });

  test('FORWARD_TRANSITIVE and FULL_TRANSITIVE check every earlier version in their directions', () => {
    const versions = [
      { version: 1, schema: { type: 'integer' } },
      { version: 2, schema: { type: 'number' } },
    ];
    // number: version 2 reads it, version 1 (integer) does not.
    assert.equal(checkRegistration('FORWARD', { type: 'number' }, versions).compatible, true);
    assert.equal(checkRegistration('FORWARD_TRANSITIVE', { type: 'number' }, versions).compatible, false);
    const full = checkRegistration('FULL_TRANSITIVE', { type: 'number' }, versions);
    assert.deepEqual(
      full.incompatibilities.map((i) => [i.version, i.direction]),
      [[1, 'forward']],
    );
  });

  test('the first version of a subject has nothing to be checked against', () => {
    for (const level of COMPATIBILITY_LEVELS) assert.equal(checkRegistration(level, { type: 'string' }, []).compatible, true);
  });

  test('versionsToCheck and directionsOf', () => {
    assert.deepEqual(versionsToCheck('FULL', [1, 2, 3]), [3]);
    assert.deepEqual(versionsToCheck('FULL_TRANSITIVE', [1, 2, 3]), [1, 2, 3]);
    assert.deepEqual(versionsToCheck('NONE', [1, 2, 3]), []);
    assert.deepEqual(directionsOf('FULL_TRANSITIVE'), ['backward', 'forward']);
    assert.deepEqual(directionsOf('FORWARD'), ['forward']);
  });

  test('levels parse in any case and refuse anything else', () => {
    assert.equal(parseCompatibilityLevel('backward_transitive'), 'BACKWARD_TRANSITIVE');
    assert.equal(parseCompatibilityLevel('Full'), 'FULL');
    assert.equal(parseCompatibilityLevel('SIDEWAYS'), undefined);
    assert.equal(parseCompatibilityLevel(3), undefined);
  });
});
