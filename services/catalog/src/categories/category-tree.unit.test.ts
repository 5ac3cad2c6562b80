// Category tree rules: subtrees, rolled-up counts, display order.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rollUpCounts, subtreeIds, treeOrder } from './category-tree.ts';

const tree = [
  { id: 'ct', slug: 'coffee-tea', name: 'Coffee & Tea', parentId: null },
  { id: 'tea', slug: 'tea', name: 'Tea', parentId: 'ct' },
  { id: 'coffee', slug: 'coffee', name: 'Coffee', parentId: 'ct' },
  { id: 'green', slug: 'green-tea', name: 'Green Tea', parentId: 'tea' },
  { id: 'audio', slug: 'audio', name: 'Audio', parentId: null },
];

test('a subtree holds the root and every descendant', () => {
  assert.deepEqual(new Set(subtreeIds(tree, 'ct')), new Set(['ct', 'tea', 'coffee', 'green']));
  assert.deepEqual(subtreeIds(tree, 'audio'), ['audio']);
});

test('a cycle in bad data does not loop forever', () => {
  const cyclic = [
    { id: 'a', slug: 'a', parentId: 'b' },
    { id: 'b', slug: 'b', parentId: 'a' },
  ];
  assert.deepEqual(new Set(subtreeIds(cyclic, 'a')), new Set(['a', 'b']));
});

test('counts include every subcategory below', () => {
  const totals = rollUpCounts(
    tree,
    new Map([
      ['ct', 1],
      ['tea', 2],
      ['green', 4],
      ['coffee', 8],
    ]),
  );
  assert.equal(totals.get('ct'), 15);
  assert.equal(totals.get('tea'), 6);
  assert.equal(totals.get('green'), 4);
  assert.equal(totals.get('audio'), 0);
});

test('display order: roots by name, each followed by its children by name', () => {
  assert.deepEqual(
    treeOrder(tree).map((c) => c.slug),
    ['audio', 'coffee-tea', 'coffee', 'tea', 'green-tea'],
  );
});

test('a category whose parent is missing is shown as a root', () => {
  const orphan = [...tree, { id: 'x', slug: 'orphan', name: 'Orphan', parentId: 'gone' }];
  assert.ok(treeOrder(orphan).some((c) => c.slug === 'orphan'));
});
