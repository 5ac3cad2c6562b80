// Object rules in both directions: properties added and removed under open,
// closed and partially open content models (both policies), required,
// additionalProperties, nesting, local $refs, counts and dependencies.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { diffSchemas, isCompatibleDifference, type OpenContentModelPolicy } from './index.ts';

function problems(writer: unknown, reader: unknown, policy: OpenContentModelPolicy = 'lenient') {
  return diffSchemas(writer, reader, { openContentModel: policy }).filter((d) => !isCompatibleDifference(d.type, policy));
}

function assertReads(writer: unknown, reader: unknown, policy?: OpenContentModelPolicy): void {
  assert.deepEqual(problems(writer, reader, policy), [], `expected ${JSON.stringify(reader)} to read ${JSON.stringify(writer)}`);
}

function assertRefuses(writer: unknown, reader: unknown, type: string, path: string, policy?: OpenContentModelPolicy): void {
  const found = problems(writer, reader, policy);
  assert.ok(
    found.some((d) => d.type === type && d.path === path),
    `expected ${type} at ${path}, got ${JSON.stringify(found)}`,
  );
}

const obj = (properties: Record<string, unknown>, required: string[] = [], extra: Record<string, unknown> = {}) => ({
  type: 'object',
  properties,
  required,
  ...extra,
});
const closed = { additionalProperties: false };
const str = { type: 'string' };

describe('properties added to the reader', () => {
  test('optional, writer closed: compatible under both policies', () => {
    for (const policy of ['lenient', 'confluent'] as const)
      assertReads(obj({ a: str }, ['a'], closed), obj({ a: str, b: str }, ['a'], closed), policy);
  });

  test('optional, writer open: lenient accepts, confluent refuses (its writer could have put anything there)', () => {
    assertReads(obj({ a: str }), obj({ a: str, b: str }));
    assertRefuses(
      obj({ a: str }),
      obj({ a: str, b: str }),
      'OPTIONAL_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL',
      '#/properties/b',
      'confluent',
    );
  });

  test('an unconstrained property added to an open model is fine under both policies', () => {
    assertReads(obj({ a: str }), obj({ a: str, b: {} }), 'confluent');
  });

  test('required, with no default: refused for open and closed writers alike', () => {
    assertRefuses(
      obj({ a: str }, [], closed),
      obj({ a: str, b: str }, ['b'], closed),
      'REQUIRED_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL',
      '#/properties/b',
    );
    assertRefuses(
      obj({ a: str }),
      obj({ a: str, b: str }, ['b']),
      'REQUIRED_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL',
      '#/properties/b',
    );
    assertRefuses(
      obj({ a: str }),
      obj({ a: str, b: str }, ['b']),
      'REQUIRED_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL',
      '#/properties/b',
      'confluent',
    );
  });

  test('required with a default is accepted where the writer was closed', () => {
    assertReads(obj({ a: str }, [], closed), obj({ a: str, b: { type: 'string', default: 'x' } }, ['b'], closed));
    assertRefuses(
      obj({ a: str }),
      obj({ a: str, b: { type: 'string', default: 'x' } }, ['b']),
      'REQUIRED_PROPERTY_WITH_DEFAULT_ADDED_TO_OPEN_CONTENT_MODEL',
      '#/properties/b',
      'confluent',
    );
  });

  test('partially open writer: the added property must fit its additionalProperties schema', () => {
    const writer = obj({ a: str }, [], { additionalProperties: { type: 'string' } });
    assertReads(writer, obj({ a: str, b: { type: 'string' } }, [], { additionalProperties: { type: 'string' } }));
    assertRefuses(
      writer,
      obj({ a: str, b: { type: 'string', maxLength: 3 } }, [], { additionalProperties: { type: 'string' } }),
      'PROPERTY_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL',
      '#/properties/b',
    );
  });

  test('patternProperties count as a partially open model', () => {
    const writer = obj({}, [], { patternProperties: { '^x-': { type: 'string' } }, additionalProperties: false });
    assertReads(
      writer,
      obj({ 'x-trace': { type: 'string' } }, [], {
        patternProperties: { '^x-': { type: 'string' } },
        additionalProperties: false,
      }),
    );
    assertRefuses(
      writer,
      obj({ 'x-trace': { type: 'integer' } }, [], {
        patternProperties: { '^x-': { type: 'string' } },
        additionalProperties: false,
      }),
      'PROPERTY_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL',
      '#/properties/x-trace',
    );
  });
});

describe('properties removed from the reader', () => {
  test('reader open: compatible (it still accepts the value as an additional property)', () => {
    assertReads(obj({ a: str, b: str }, ['a', 'b']), obj({ a: str }, ['a']), 'confluent');
  });

  test('reader closed: refused, naming the property', () => {
    assertRefuses(
      obj({ a: str, b: str }, ['a', 'b'], closed),
      obj({ a: str }, ['a'], closed),
      'PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL',
      '#/properties/b',
    );
  });

  test('a property that was forbidden (false) may go from a closed model', () => {
    assertReads(obj({ a: str, b: false }, [], closed), obj({ a: str }, [], closed));
  });

  test('reader partially open: the removed property must fit its additionalProperties schema', () => {
    // (The writers are closed: an open writer would also clash with the reader's narrower additionalProperties.)
    assertReads(obj({ a: str, b: str }, [], closed), obj({ a: str }, [], { additionalProperties: { type: 'string' } }));
    assertRefuses(
      obj({ a: str, b: { type: 'integer' } }, [], closed),
      obj({ a: str }, [], { additionalProperties: { type: 'string' } }),
      'PROPERTY_REMOVED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL',
      '#/properties/b',
    );
  });
});

describe('required', () => {
  test('making a property required is refused; making it optional is fine', () => {
    assertRefuses(obj({ a: str }), obj({ a: str }, ['a']), 'REQUIRED_ATTRIBUTE_ADDED', '#/required/a');
    assertReads(obj({ a: str }, ['a']), obj({ a: str }));
  });

  test('a required property that has a default is compatible (as Confluent)', () => {
    assertReads(obj({ a: str }), obj({ a: { type: 'string', default: '' } }, ['a']));
  });

  test('required names the writer does not declare still count', () => {
    assertRefuses({ type: 'object' }, { type: 'object', required: ['x'] }, 'REQUIRED_ATTRIBUTE_ADDED', '#/required/x');
  });
});

describe('additionalProperties', () => {
  test('closing an open model is refused; opening a closed one is fine', () => {
    assertRefuses(obj({ a: str }), obj({ a: str }, [], closed), 'ADDITIONAL_PROPERTIES_REMOVED', '#/additionalProperties');
    assertReads(obj({ a: str }, [], closed), obj({ a: str }));
  });

  test('constraining additional properties is refused; loosening them is fine', () => {
    assertRefuses(
      obj({}),
      obj({}, [], { additionalProperties: { type: 'string' } }),
      'ADDITIONAL_PROPERTIES_NARROWED',
      '#/additionalProperties',
    );
    assertReads(obj({}, [], { additionalProperties: { type: 'string' } }), obj({}));
    assertReads(
      obj({}, [], { additionalProperties: { type: 'integer' } }),
      obj({}, [], { additionalProperties: { type: 'number' } }),
    );
    assertRefuses(
      obj({}, [], { additionalProperties: { type: 'number' } }),
      obj({}, [], { additionalProperties: { type: 'integer' } }),
      'TYPE_NARROWED',
      '#/additionalProperties',
    );
  });
});

describe('nesting and references', () => {
  test('nested objects are compared recursively with full paths', () => {
    const writer = obj({ price: obj({ amount: { type: 'integer' }, currency: str }, ['amount'], closed) });
    assertReads(writer, obj({ price: obj({ amount: { type: 'number' }, currency: str }, ['amount'], closed) }));
    assertRefuses(
      writer,
      obj({ price: obj({ amount: { type: 'string' }, currency: str }, ['amount'], closed) }),
      'TYPE_CHANGED',
      '#/properties/price/properties/amount',
    );
    assertRefuses(
      writer,
      obj({ price: obj({ amount: { type: 'integer' } }, ['amount'], closed) }),
      'PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL',
      '#/properties/price/properties/currency',
    );
  });

  test('local $refs into definitions and $defs resolve on either side', () => {
    const viaDefinitions = {
      definitions: { Money: obj({ cents: { type: 'integer' } }, ['cents']) },
      ...obj({ price: { $ref: '#/definitions/Money' } }),
    };
    const viaDefs = {
      $defs: { Money: obj({ cents: { type: 'number' } }, ['cents']) },
      ...obj({ price: { $ref: '#/$defs/Money' } }),
    };
    assertReads(viaDefinitions, viaDefs);
    assertRefuses(viaDefs, viaDefinitions, 'TYPE_NARROWED', '#/properties/price/properties/cents');
  });

  test('a $ref to an $id inside the document resolves too', () => {
    const writer = { $defs: { m: { $id: 'Money', type: 'integer' } }, ...obj({ p: { $ref: 'Money' } }) };
    assertRefuses(writer, obj({ p: { type: 'string' } }), 'TYPE_CHANGED', '#/properties/p');
  });

  test('a required property with a default behind a $ref is recognised', () => {
    const reader = {
      $defs: { Reason: { type: 'string', default: 'none' } },
      ...obj({ a: str, r: { $ref: '#/$defs/Reason' } }, ['r'], closed),
    };
    assertReads(obj({ a: str }, [], closed), reader);
  });
});

describe('counts and dependencies', () => {
  test('maxProperties may rise, minProperties may fall', () => {
    assertReads(obj({}, [], { maxProperties: 3 }), obj({}, [], { maxProperties: 5 }));
    assertRefuses(
      obj({}, [], { maxProperties: 5 }),
      obj({}, [], { maxProperties: 3 }),
      'MAX_PROPERTIES_DECREASED',
      '#/maxProperties',
    );
    assertReads(obj({}, [], { minProperties: 2 }), obj({}, [], { minProperties: 1 }));
    assertRefuses(obj({}), obj({}, [], { minProperties: 1 }), 'MIN_PROPERTIES_ADDED', '#/minProperties');
  });

  test('dependencies may be dropped or narrowed, not added or extended', () => {
    assertReads(obj({}, [], { dependencies: { a: ['b', 'c'] } }), obj({}, [], { dependencies: { a: ['b'] } }));
    assertRefuses(obj({}), obj({}, [], { dependentRequired: { a: ['b'] } }), 'DEPENDENCY_ARRAY_ADDED', '#/dependencies/a');
    assertRefuses(
      obj({}, [], { dependencies: { a: ['b'] } }),
      obj({}, [], { dependencies: { a: ['b', 'c'] } }),
      'DEPENDENCY_ARRAY_EXTENDED',
      '#/dependencies/a',
    );
  });
});
