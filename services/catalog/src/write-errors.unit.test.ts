// Reading PostgreSQL write failures: the constraint decides the field; anything unknown stays a bug.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { classifyWriteError } from './write-errors.ts';

describe('classifyWriteError', () => {
  test('unique violations name the field', () => {
    assert.deepEqual(classifyWriteError({ code: '23505', constraint: 'products_sku_key' }), { kind: 'conflict', field: 'sku' });
    assert.deepEqual(classifyWriteError({ code: '23505', constraint: 'products_slug_key' }), { kind: 'conflict', field: 'slug' });
    assert.deepEqual(classifyWriteError({ code: '23505', constraint: 'categories_slug_key' }), {
      kind: 'conflict',
      field: 'slug',
    });
  });

  test('foreign-key violations name the reference', () => {
    assert.deepEqual(classifyWriteError({ code: '23503', constraint: 'products_category_id_fkey' }), {
      kind: 'unknown-reference',
      field: 'categoryId',
    });
    assert.deepEqual(classifyWriteError({ code: '23503', constraint: 'categories_parent_id_fkey' }), {
      kind: 'unknown-reference',
      field: 'parentId',
    });
  });

  test('other constraints, mismatched codes and anything else stay a bug', () => {
    assert.deepEqual(classifyWriteError({ code: '23505', constraint: 'categories_pkey' }), { kind: 'other' });
    assert.deepEqual(classifyWriteError({ code: '23505', constraint: 'products_pkey' }), { kind: 'other' });
    assert.deepEqual(classifyWriteError({ code: '23503', constraint: 'categories_slug_key' }), { kind: 'other' });
    assert.deepEqual(classifyWriteError({ code: '23505', constraint: 'toString' }), { kind: 'other' });
    assert.deepEqual(classifyWriteError({ code: '23505' }), { kind: 'other' });
    assert.deepEqual(classifyWriteError(new Error('connection reset')), { kind: 'other' });
    assert.deepEqual(classifyWriteError(undefined), { kind: 'other' });
  });
});
