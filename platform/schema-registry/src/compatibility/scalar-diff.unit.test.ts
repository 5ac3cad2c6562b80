// Scalar rules in both directions: types (integer/number widening, nullable),
// enum and const, string lengths and patterns, numeric bounds and multipleOf.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { diffSchemas, isCompatibleDifference } from './index.ts';

/** The incompatible differences found reading `writer` data with `reader`. */
function problems(writer: unknown, reader: unknown) {
  return diffSchemas(writer, reader).filter((d) => !isCompatibleDifference(d.type, 'lenient'));
}

function assertReads(writer: unknown, reader: unknown): void {
  assert.deepEqual(problems(writer, reader), [], `expected ${JSON.stringify(reader)} to read ${JSON.stringify(writer)}`);
}

function assertRefuses(writer: unknown, reader: unknown, type: string, path = '#/'): void {
  const found = problems(writer, reader);
  assert.ok(
    found.some((d) => d.type === type && d.path === path),
    `expected ${type} at ${path}, got ${JSON.stringify(found)}`,
  );
}

describe('types', () => {
  test('integer widens to number; number does not narrow to integer', () => {
    assertReads({ type: 'integer' }, { type: 'number' });
    assertRefuses({ type: 'number' }, { type: 'integer' }, 'TYPE_NARROWED');
  });

  test('an unrelated type is a change both ways', () => {
    assertRefuses({ type: 'string' }, { type: 'integer' }, 'TYPE_CHANGED');
    assertRefuses({ type: 'integer' }, { type: 'string' }, 'TYPE_CHANGED');
    assertRefuses({ type: 'boolean' }, { type: 'object' }, 'TYPE_CHANGED');
  });

  test('adding null to a type list widens, removing it narrows', () => {
    assertReads({ type: 'string' }, { type: ['string', 'null'] });
    assertRefuses({ type: ['string', 'null'] }, { type: 'string' }, 'TYPE_NARROWED');
  });

  test('a nullable union (anyOf with null) reads the plain type and a type list', () => {
    const nullable = { anyOf: [{ type: 'string' }, { type: 'null' }] };
    assertReads({ type: 'string' }, nullable);
    assertReads({ type: ['string', 'null'] }, nullable);
    assertReads(nullable, { type: ['string', 'null'] });
    assertRefuses(nullable, { type: 'string' }, 'TYPE_CHANGED', '#/anyOf/1');
  });

  test('an untyped writer allows anything; a typed reader narrows it', () => {
    assertRefuses({}, { type: 'string' }, 'TYPE_NARROWED');
    assertReads({ type: 'string' }, {});
    assertReads({ type: 'string' }, true);
    assertRefuses({ type: 'string' }, false, 'TYPE_NARROWED');
    assertReads(false, { type: 'string' });
  });

  test('annotations never matter', () => {
    assertReads(
      { type: 'string', title: 'a', description: 'x', default: 'q', format: 'date-time' },
      { type: 'string', examples: ['z'] },
    );
  });
});

describe('enum and const', () => {
  test('values added are compatible, values removed are not', () => {
    assertReads({ enum: ['EUR', 'USD'] }, { enum: ['EUR', 'USD', 'GBP'] });
    assertRefuses({ enum: ['EUR', 'USD', 'GBP'] }, { enum: ['EUR', 'USD'] }, 'ENUM_ARRAY_NARROWED', '#/enum');
    assertRefuses({ enum: ['EUR', 'USD'] }, { enum: ['EUR', 'GBP'] }, 'ENUM_ARRAY_CHANGED', '#/enum');
  });

  test('an enum added to a free string narrows it; dropping it widens', () => {
    assertRefuses({ type: 'string' }, { type: 'string', enum: ['a'] }, 'ENUM_ARRAY_NARROWED', '#/enum');
    assertReads({ type: 'string', enum: ['a'] }, { type: 'string' });
  });

  test('const behaves as a one-value enum, compared by JSON value', () => {
    assertReads({ const: 'EUR' }, { enum: ['EUR', 'USD'] });
    assertRefuses({ const: 'EUR' }, { const: 'USD' }, 'ENUM_ARRAY_CHANGED', '#/const');
    assertReads({ enum: [{ a: 1, b: 2 }] }, { enum: [{ b: 2, a: 1 }] });
  });

  test('enum values decide the types a writer really produces', () => {
    assertReads({ type: 'number', enum: [1, 2] }, { type: 'integer' });
    assertReads({ enum: ['a', 'b'] }, { type: 'string' });
    assertRefuses({ enum: ['a', 1] }, { type: 'string' }, 'TYPE_NARROWED');
  });
});

describe('strings', () => {
  test('maxLength may grow or go, not shrink or appear', () => {
    assertReads({ type: 'string', maxLength: 10 }, { type: 'string', maxLength: 20 });
    assertReads({ type: 'string', maxLength: 10 }, { type: 'string' });
    assertRefuses({ type: 'string', maxLength: 20 }, { type: 'string', maxLength: 10 }, 'MAX_LENGTH_DECREASED', '#/maxLength');
    assertRefuses({ type: 'string' }, { type: 'string', maxLength: 10 }, 'MAX_LENGTH_ADDED', '#/maxLength');
  });

  test('minLength may shrink or go, not grow or appear (0 is no constraint)', () => {
    assertReads({ type: 'string', minLength: 5 }, { type: 'string', minLength: 1 });
    assertReads({ type: 'string', minLength: 5 }, { type: 'string' });
    assertReads({ type: 'string' }, { type: 'string', minLength: 0 });
    assertRefuses({ type: 'string', minLength: 1 }, { type: 'string', minLength: 5 }, 'MIN_LENGTH_INCREASED', '#/minLength');
    assertRefuses({ type: 'string' }, { type: 'string', minLength: 2 }, 'MIN_LENGTH_ADDED', '#/minLength');
  });

  test('a pattern may be dropped, not added or changed', () => {
    assertReads({ type: 'string', pattern: '^[A-Z]{3}$' }, { type: 'string' });
    assertRefuses({ type: 'string' }, { type: 'string', pattern: '^[A-Z]{3}$' }, 'PATTERN_ADDED', '#/pattern');
    assertRefuses({ type: 'string', pattern: '^a' }, { type: 'string', pattern: '^b' }, 'PATTERN_CHANGED', '#/pattern');
  });
});

describe('numbers', () => {
  test('a maximum may rise or go; it may not fall or appear', () => {
    assertReads({ type: 'integer', maximum: 10 }, { type: 'integer', maximum: 100 });
    assertReads({ type: 'integer', maximum: 10 }, { type: 'integer' });
    assertRefuses({ type: 'integer', maximum: 100 }, { type: 'integer', maximum: 10 }, 'MAXIMUM_DECREASED', '#/maximum');
    assertRefuses({ type: 'integer' }, { type: 'integer', maximum: 10 }, 'MAXIMUM_ADDED', '#/maximum');
  });

  test('a minimum may fall or go; it may not rise or appear', () => {
    assertReads({ type: 'number', minimum: 1 }, { type: 'number', minimum: 0 });
    assertRefuses({ type: 'number', minimum: 0 }, { type: 'number', minimum: 1 }, 'MINIMUM_INCREASED', '#/minimum');
    assertRefuses({ type: 'number' }, { type: 'number', minimum: 0 }, 'MINIMUM_ADDED', '#/minimum');
  });

  test('exclusive bounds compare with inclusive ones by value', () => {
    assertReads({ type: 'number', maximum: 10 }, { type: 'number', exclusiveMaximum: 11 });
    assertRefuses(
      { type: 'number', maximum: 10 },
      { type: 'number', exclusiveMaximum: 10 },
      'EXCLUSIVE_MAXIMUM_DECREASED',
      '#/exclusiveMaximum',
    );
    assertReads({ type: 'number', exclusiveMinimum: 0 }, { type: 'number', minimum: 0 });
    // draft-04 spelled exclusivity as a boolean beside the bound.
    assertRefuses(
      { type: 'number', minimum: 0 },
      { type: 'number', minimum: 0, exclusiveMinimum: true },
      'EXCLUSIVE_MINIMUM_INCREASED',
      '#/exclusiveMinimum',
    );
  });

  test('multipleOf may become a divisor of the old step, nothing else', () => {
    assertReads({ type: 'integer', multipleOf: 4 }, { type: 'integer', multipleOf: 2 });
    assertReads({ type: 'number', multipleOf: 0.5 }, { type: 'number', multipleOf: 0.25 });
    assertReads({ type: 'integer', multipleOf: 4 }, { type: 'integer' });
    assertRefuses({ type: 'integer', multipleOf: 2 }, { type: 'integer', multipleOf: 4 }, 'MULTIPLE_OF_EXPANDED', '#/multipleOf');
    assertRefuses({ type: 'integer', multipleOf: 2 }, { type: 'integer', multipleOf: 3 }, 'MULTIPLE_OF_CHANGED', '#/multipleOf');
    assertRefuses({ type: 'integer' }, { type: 'integer', multipleOf: 3 }, 'MULTIPLE_OF_ADDED', '#/multipleOf');
  });
});
