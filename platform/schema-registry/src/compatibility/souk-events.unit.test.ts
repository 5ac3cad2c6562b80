// The event schemas souk really registers (a contract's closed form, as the
// chassis sends it): the catalog's PriceChanged v1 → v2 must pass the
// registry's default level (BACKWARD), and a v3 without a required field must not.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PriceChanged, PriceChangedV1 } from '../../../../services/catalog/contract.ts';
import { checkRegistration } from './index.ts';

/** What a producer registers: the JSON text of the contract's closed schema, parsed back. */
const asRegistered = (schema: unknown) => JSON.parse(JSON.stringify(schema)) as Record<string, unknown>;
const v1 = asRegistered(PriceChangedV1.published);
const v2 = asRegistered(PriceChanged.published);

test('catalog PriceChanged v1 → v2 (optional reason) is BACKWARD compatible; FULL refuses it, as Confluent does for closed models', () => {
  for (const level of ['BACKWARD', 'BACKWARD_TRANSITIVE'] as const) {
    assert.deepEqual(checkRegistration(level, v2, [{ version: 1, schema: v1 }]).messages, [], level);
  }
  // Old readers of the closed v1 would refuse `reason`; souk consumers read with the open contract instead.
  const full = checkRegistration('FULL', v2, [{ version: 1, schema: v1 }]);
  assert.equal(full.compatible, false);
  assert.match(full.messages[0]!, /^PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL at #\/properties\/reason/);
});

test('a v3 without the required currency is refused by BACKWARD (the default) and FULL, naming currency', () => {
  const properties = { ...(v2.properties as Record<string, unknown>) };
  delete properties.currency;
  const v3 = { ...v2, properties, required: (v2.required as string[]).filter((k) => k !== 'currency') };
  for (const level of ['BACKWARD', 'FULL'] as const) {
    const result = checkRegistration(level, v3, [
      { version: 1, schema: v1 },
      { version: 2, schema: v2 },
    ]);
    assert.equal(result.compatible, false, level);
    assert.ok(
      result.messages.some((m) => m.includes('#/properties/currency')),
      result.messages.join('\n'),
    );
  }
});

test('narrowing a field a producer already writes is refused: reason maxLength 200 → 100', () => {
  const reason = { ...(v2.properties as Record<string, Record<string, unknown>>).reason, maxLength: 100 };
  const v3 = { ...v2, properties: { ...(v2.properties as Record<string, unknown>), reason } };
  const result = checkRegistration('BACKWARD', v3, [{ version: 2, schema: v2 }]);
  assert.deepEqual(result.messages, [
    'MAX_LENGTH_DECREASED at #/properties/reason/maxLength: the new schema allows at most 100 characters, version 2 200',
  ]);
});
