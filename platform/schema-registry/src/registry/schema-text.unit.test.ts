// Schema text as stored: type checks, parsing, compiling per draft, the
// compact canonical text and its fingerprint, and normalization.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { registryErrors } from '../errors.ts';
import { canonicalize, parseSchema, prepareSchema } from './schema-text.ts';

const json = (schema: unknown, schemaType = 'JSON') => ({
  schemaType,
  schema: typeof schema === 'string' ? schema : JSON.stringify(schema),
});

test("the stored text is compact JSON in the author's key order; whitespace does not change the fingerprint", () => {
  const a = prepareSchema(json('{ "type": "object",\n  "properties": { "b": {}, "a": {} } }'));
  const b = prepareSchema(json({ type: 'object', properties: { b: {}, a: {} } }));
  assert.equal(a.text, '{"type":"object","properties":{"b":{},"a":{}}}');
  assert.equal(a.fingerprint, b.fingerprint);
  assert.notEqual(prepareSchema(json({ properties: { b: {}, a: {} }, type: 'object' })).fingerprint, a.fingerprint);
});

test('normalize sorts keys at every level, so reordered copies are one schema', () => {
  const a = prepareSchema(json({ type: 'object', properties: { b: {}, a: { maxLength: 1, type: 'string' } } }), {
    normalize: true,
  });
  const b = prepareSchema(json({ properties: { a: { type: 'string', maxLength: 1 }, b: {} }, type: 'object' }), {
    normalize: true,
  });
  assert.equal(a.text, b.text);
  assert.equal(canonicalize('{"type":"string","maxLength":1}', true), '{"maxLength":1,"type":"string"}');
});

test('a property named __proto__ is an ordinary key of the stored text', () => {
  const prepared = prepareSchema(json('{"type":"object","properties":{"__proto__":{"type":"string"}}}'));
  assert.equal(prepared.text, '{"type":"object","properties":{"__proto__":{"type":"string"}}}');
});

test('schema types: JSON in any case; AVRO (also when missing) and PROTOBUF are refused; references too', () => {
  assert.doesNotThrow(() => parseSchema(json({}, 'json')));
  for (const request of [{ schema: '{}' }, json({}, 'AVRO'), json({}, 'PROTOBUF')]) {
    assert.throws(
      () => parseSchema(request),
      (err) => registryErrors.unsupportedSchemaType.is(err),
    );
  }
  assert.throws(
    () => parseSchema({ ...json({}), references: [{}] }),
    (err) => registryErrors.referencesUnsupported.is(err),
  );
});

test('invalid schemas: not JSON, not an object, not a valid JSON Schema, an unknown draft', () => {
  for (const text of [
    '{',
    '"a"',
    '[]',
    'null',
    '{"type":"strin"}',
    '{"minLength":-1}',
    '{"$schema":"http://json-schema.org/draft-04/schema#"}',
    '{"$schema":7}',
  ]) {
    assert.throws(
      () => prepareSchema(json(text)),
      (err) => registryErrors.invalidSchema.is(err),
      text,
    );
  }
  // Looking a schema up does not compile it: only registration and checks need a valid one.
  assert.doesNotThrow(() => parseSchema(json('{"type":"strin"}')));
});

test('each draft compiles with its own keywords, repeatedly, with the same $id', () => {
  for (let i = 0; i < 3; i++) {
    prepareSchema(json({ $id: 'https://souk.example/x.json', type: 'string', maxLength: i }));
    prepareSchema(
      json({
        $schema: 'https://json-schema.org/draft/2020-12/schema',
        $id: 'https://souk.example/y.json',
        $defs: { a: { type: 'string' } },
        $ref: '#/$defs/a',
      }),
    );
  }
  prepareSchema(json({ $schema: 'https://json-schema.org/draft/2019-09/schema', dependentRequired: { a: ['b'] } }));
  prepareSchema(json({ $schema: 'http://json-schema.org/draft-06/schema#', type: 'string' }));
  prepareSchema(json(true));
});

test('a schema nested deeper than any real one is refused, not a stack overflow', () => {
  const deep = `${'{"items":'.repeat(50_000)}{}${'}'.repeat(50_000)}`;
  assert.throws(
    () => parseSchema(json(deep)),
    (err) => registryErrors.invalidSchema.is(err) && /nested more than/.test((err as Error).message),
  );
  const fine = `${'{"items":'.repeat(150)}{}${'}'.repeat(150)}`;
  assert.doesNotThrow(() => prepareSchema(json(fine)));
});
