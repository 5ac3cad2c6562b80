import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  diffCounts,
  diffLines,
  diffSummary,
  diffTexts,
  linesOf,
  MAX_DIFF_CELLS,
  withinDiffLimit,
  type DiffLine,
} from './line-diff.ts';

const same = (text: string): DiffLine => ({ kind: 'same', text });
const added = (text: string): DiffLine => ({ kind: 'added', text });
const removed = (text: string): DiffLine => ({ kind: 'removed', text });

test('identical texts: every line the same', () => {
  const text = '{\n  "logLevel": "info"\n}';
  assert.deepEqual(diffTexts(text, text), [same('{'), same('  "logLevel": "info"'), same('}')]);
  assert.deepEqual(diffCounts(diffTexts(text, text)), { added: 0, removed: 0 });
});

test('a line added in the middle, at the start and at the end', () => {
  assert.deepEqual(diffLines(['a', 'c'], ['a', 'b', 'c']), [same('a'), added('b'), same('c')]);
  assert.deepEqual(diffLines(['b', 'c'], ['a', 'b', 'c']), [added('a'), same('b'), same('c')]);
  assert.deepEqual(diffLines(['a', 'b'], ['a', 'b', 'c']), [same('a'), same('b'), added('c')]);
});

test('a line removed', () => {
  assert.deepEqual(diffLines(['a', 'b', 'c'], ['a', 'c']), [same('a'), removed('b'), same('c')]);
  assert.deepEqual(diffCounts(diffLines(['a', 'b', 'c'], ['a', 'c'])), { added: 0, removed: 1 });
});

test('a line changed in the middle: the old one removed, then the new one added', () => {
  const before = ['{', '  "logLevel": "info",', '  "flags": {}', '}'];
  const after = ['{', '  "logLevel": "debug",', '  "flags": {}', '}'];
  assert.deepEqual(diffLines(before, after), [
    same('{'),
    removed('  "logLevel": "info",'),
    added('  "logLevel": "debug",'),
    same('  "flags": {}'),
    same('}'),
  ]);
});

test('changes apart from each other keep the common lines between them', () => {
  const diff = diffLines(['a', 'x', 'b', 'c', 'y', 'd'], ['a', 'b', 'c', 'z', 'd', 'e']);
  assert.deepEqual(diff, [same('a'), removed('x'), same('b'), same('c'), removed('y'), added('z'), same('d'), added('e')]);
  // Read back, each side is whole.
  assert.deepEqual(
    diff.filter((l) => l.kind !== 'added').map((l) => l.text),
    ['a', 'x', 'b', 'c', 'y', 'd'],
  );
  assert.deepEqual(
    diff.filter((l) => l.kind !== 'removed').map((l) => l.text),
    ['a', 'b', 'c', 'z', 'd', 'e'],
  );
});

test('empty inputs: nothing, all added or all removed', () => {
  assert.deepEqual(linesOf(''), []);
  assert.deepEqual(diffTexts('', ''), []);
  assert.deepEqual(diffTexts('', 'a\nb'), [added('a'), added('b')]);
  assert.deepEqual(diffTexts('a\nb\n', ''), [removed('a'), removed('b')]);
  assert.deepEqual(diffLines([], []), []);
});

test('a final newline ends the last line; CRLF reads as LF', () => {
  assert.deepEqual(linesOf('a\nb\n'), ['a', 'b']);
  assert.deepEqual(diffTexts('a\r\nb', 'a\nb\n'), [same('a'), same('b')]);
});

test('past the limit of cells the middle is all removed, then all added', () => {
  // One line in common that the LCS finds, within the limit.
  const before = ['common', ...Array.from({ length: 5 }, (_, i) => `old ${i}`)];
  const after = [...Array.from({ length: 5 }, (_, i) => `new ${i}`), 'common'];
  const within = diffLines(before, after);
  assert.equal(within.filter((l) => l.kind === 'same').length, 1);
  // The same texts with a limit below 6 × 6 cells: no LCS, the fallback.
  assert.equal(withinDiffLimit(6, 6, 35), false);
  assert.deepEqual(diffLines(before, after, 35), [...before.map(removed), ...after.map(added)]);
});

test('the default limit is 2,000 × 2,000 lines', () => {
  assert.equal(MAX_DIFF_CELLS, 4_000_000);
  assert.equal(withinDiffLimit(2_000, 2_000), true);
  assert.equal(withinDiffLimit(2_001, 2_000), false);
  const before = ['shared', ...Array.from({ length: 2_100 }, (_, i) => `before ${i}`)];
  const after = [...Array.from({ length: 2_100 }, (_, i) => `after ${i}`), 'shared'];
  const diff = diffLines(before, after);
  assert.equal(diff.length, before.length + after.length);
  assert.equal(
    diff.some((l) => l.kind === 'same'),
    false,
  );
  assert.deepEqual(diffCounts(diff), { added: after.length, removed: before.length });
});

test('the limit counts only the lines between a common start and end', () => {
  const body = Array.from({ length: 3_000 }, (_, i) => `line ${i}`);
  const diff = diffLines(['head', ...body, 'tail'], ['head', ...body.slice(0, 1_500), 'inserted', ...body.slice(1_500), 'tail']);
  assert.deepEqual(diffCounts(diff), { added: 1, removed: 0 });
  assert.deepEqual(diff[1_501], added('inserted'));
});

test('the summary counts added and removed lines', () => {
  assert.equal(diffSummary(diffLines(['a', 'b', 'c'], ['a', 'x', 'y', 'z', 'c'])), '3 lines added, 1 removed');
  assert.equal(diffSummary(diffLines(['a'], ['a', 'b'])), '1 line added');
  assert.equal(diffSummary(diffLines(['a', 'b', 'c'], ['a'])), '2 lines removed');
  assert.equal(diffSummary(diffLines(['a'], ['a'])), 'No changes.');
});
