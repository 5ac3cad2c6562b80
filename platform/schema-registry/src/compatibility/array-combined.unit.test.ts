// Arrays (lists and tuples), combinators (anyOf/oneOf/allOf/not), recursive
// schemas, and the conservative answers for what cannot be proven.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { diffSchemas, isCompatibleDifference } from './index.ts';

function problems(writer: unknown, reader: unknown) {
  return diffSchemas(writer, reader).filter((d) => !isCompatibleDifference(d.type, 'lenient'));
}

function assertReads(writer: unknown, reader: unknown): void {
  assert.deepEqual(problems(writer, reader), [], `expected ${JSON.stringify(reader)} to read ${JSON.stringify(writer)}`);
}

function assertRefuses(writer: unknown, reader: unknown, type: string, path: string): void {
  const found = problems(writer, reader);
  assert.ok(
    found.some((d) => d.type === type && d.path === path),
    `expected ${type} at ${path}, got ${JSON.stringify(found)}`,
  );
}

const list = (items: unknown, extra: Record<string, unknown> = {}) => ({ type: 'array', items, ...extra });

describe('lists', () => {
  test('item schemas are compared recursively', () => {
    assertReads(list({ type: 'integer' }), list({ type: 'number' }));
    assertRefuses(
      list({ type: 'string', maxLength: 40 }),
      list({ type: 'string', maxLength: 20 }),
      'MAX_LENGTH_DECREASED',
      '#/items/maxLength',
    );
  });

  test('constraining the items of an unconstrained list is refused; dropping the constraint is fine', () => {
    assertRefuses({ type: 'array' }, list({ type: 'string' }), 'SCHEMA_ADDED', '#/items');
    assertReads(list({ type: 'string' }), { type: 'array' });
  });

  test('maxItems may rise, minItems may fall, uniqueItems may go', () => {
    assertReads(list(true, { maxItems: 5 }), list(true, { maxItems: 10 }));
    assertRefuses(list(true, { maxItems: 10 }), list(true, { maxItems: 5 }), 'MAX_ITEMS_DECREASED', '#/maxItems');
    assertRefuses(list(true), list(true, { minItems: 1 }), 'MIN_ITEMS_ADDED', '#/minItems');
    assertReads(list(true, { uniqueItems: true }), list(true));
    assertRefuses(list(true), list(true, { uniqueItems: true }), 'UNIQUE_ITEMS_ADDED', '#/uniqueItems');
  });
});

describe('tuples', () => {
  const pair = { type: 'array', items: [{ type: 'string' }, { type: 'integer' }] };

  test('a position added to a closed tuple is fine; to an open one it is refused', () => {
    assertReads(
      { ...pair, additionalItems: false },
      { type: 'array', items: [{ type: 'string' }, { type: 'integer' }, { type: 'boolean' }], additionalItems: false },
    );
    assertRefuses(
      pair,
      { type: 'array', items: [{ type: 'string' }, { type: 'integer' }, { type: 'boolean' }] },
      'ITEM_ADDED_TO_OPEN_CONTENT_MODEL',
      '#/items/2',
    );
  });

  test('a position removed from an open tuple is fine; from a closed one it is refused', () => {
    assertReads(pair, { type: 'array', items: [{ type: 'string' }] });
    assertRefuses(
      pair,
      { type: 'array', items: [{ type: 'string' }], additionalItems: false },
      'ITEM_REMOVED_FROM_CLOSED_CONTENT_MODEL',
      '#/items/1',
    );
  });

  test('2020-12 prefixItems read the same way', () => {
    assertReads(
      { type: 'array', prefixItems: [{ type: 'integer' }], items: false },
      { type: 'array', prefixItems: [{ type: 'number' }] },
    );
    assertRefuses(
      { type: 'array', prefixItems: [{ type: 'integer' }] },
      { type: 'array', prefixItems: [{ type: 'integer' }], items: false },
      'ADDITIONAL_ITEMS_REMOVED',
      '#/items',
    );
  });

  test('a list read as a tuple: every position must accept the list items', () => {
    assertReads(list({ type: 'integer' }), { type: 'array', items: [{ type: 'number' }], additionalItems: { type: 'integer' } });
    assertRefuses(
      list({ type: 'integer' }),
      { type: 'array', items: [{ type: 'string' }] },
      'ITEM_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL',
      '#/items/0',
    );
  });
});

describe('combinators', () => {
  const literal = (v: string) => ({ type: 'string', const: v });

  test('a TypeBox union of literals may gain members, not lose them', () => {
    assertReads({ anyOf: [literal('EUR'), literal('USD')] }, { anyOf: [literal('EUR'), literal('USD'), literal('GBP')] });
    assertRefuses(
      { anyOf: [literal('EUR'), literal('USD'), literal('GBP')] },
      { anyOf: [literal('EUR'), literal('GBP')] },
      'SUM_TYPE_NARROWED',
      '#/anyOf/1',
    );
    // A one-branch reader union is just that branch, so the reason is the branch's own.
    assertRefuses(
      { anyOf: [literal('EUR'), literal('USD')] },
      { anyOf: [literal('EUR')] },
      'ENUM_ARRAY_CHANGED',
      '#/anyOf/1/const',
    );
  });

  test('a plain schema may become one branch of a union; a union may not become one branch', () => {
    assertReads({ type: 'string' }, { oneOf: [{ type: 'string' }, { type: 'integer' }] });
    assertRefuses({ oneOf: [{ type: 'string' }, { type: 'integer' }] }, { type: 'string' }, 'TYPE_CHANGED', '#/oneOf/1');
  });

  test('every branch of a writer union must be readable, in any order', () => {
    assertReads({ anyOf: [{ type: 'integer' }, { type: 'string' }] }, { anyOf: [{ type: 'string' }, { type: 'number' }] });
  });

  test('allOf: the reader may drop a conjunct, not add one', () => {
    const a = { type: 'object', properties: { a: { type: 'string' } } };
    const b = { type: 'object', required: ['a'] };
    assertReads({ allOf: [a, b] }, a);
    assertReads({ allOf: [a, b] }, { allOf: [a, b] });
    assertRefuses(a, { allOf: [a, b] }, 'REQUIRED_ATTRIBUTE_ADDED', '#/allOf/1/required/a');
  });

  test('keywords beside a combinator are a conjunction of both', () => {
    const writer = { type: 'object', properties: { kind: { type: 'string' } }, anyOf: [{ required: ['kind'] }] };
    assertReads(writer, { type: 'object', properties: { kind: { type: 'string' } } });
  });

  test('not: the excluded set may shrink, not grow', () => {
    assertReads({ not: { type: 'string' } }, { not: { type: 'string', maxLength: 2 } });
    assertRefuses({ not: { type: 'string', maxLength: 2 } }, { not: { type: 'string' } }, 'NOT_TYPE_EXTENDED', '#/not');
  });
});

describe('recursion and what cannot be proven', () => {
  const tree = (name: unknown) => ({
    type: 'object',
    properties: { name, children: { type: 'array', items: { $ref: '#' } } },
    required: ['name'],
  });

  test('recursive schemas terminate and still find changes inside the cycle', () => {
    assertReads(tree({ type: 'string' }), tree({ type: 'string' }));
    assertRefuses(tree({ type: 'string' }), tree({ type: 'integer' }), 'TYPE_CHANGED', '#/properties/name');
  });

  test('a keyword that is not modelled is refused when added or changed, fine when dropped', () => {
    assertRefuses(
      { type: 'object' },
      { type: 'object', propertyNames: { maxLength: 3 } },
      'UNCHECKED_KEYWORD_ADDED',
      '#/propertyNames',
    );
    assertRefuses(
      { type: 'array', contains: { type: 'string' } },
      { type: 'array', contains: { type: 'integer' } },
      'UNCHECKED_KEYWORD_CHANGED',
      '#/contains',
    );
    assertReads({ type: 'object', propertyNames: { maxLength: 3 } }, { type: 'object' });
    assertReads({ if: { type: 'string' }, then: { minLength: 1 } }, { if: { type: 'string' }, then: { minLength: 1 } });
  });

  test('an unresolvable $ref is refused rather than guessed', () => {
    assertRefuses({ type: 'string' }, { $ref: 'https://example.com/other.json' }, 'REFERENCE_UNRESOLVED', '#/');
  });

  test('a comparison that would take too long is refused', () => {
    const wide = {
      anyOf: Array.from({ length: 40 }, (_, i) => ({
        type: 'object',
        properties: { [`p${i}`]: { type: 'integer' } },
        required: [`p${i}`],
      })),
    };
    const found = diffSchemas(wide, { anyOf: [...wide.anyOf].reverse() }, { maxSteps: 50 });
    assert.ok(
      found.some((d) => d.type === 'COMPARISON_TOO_COMPLEX'),
      JSON.stringify(found),
    );
  });

  test('unknown keywords are ignored, as validators ignore them', () => {
    assertReads({ type: 'string', 'x-kafka-key': true }, { type: 'string', 'x-kafka-key': false });
  });
});
