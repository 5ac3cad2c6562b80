import assert from 'node:assert/strict';
import { test } from 'node:test';
import { diffSettings } from './diff.ts';

test('a diff names each changed, added and removed setting by its JSON Pointer', () => {
  assert.deepEqual(
    diffSettings(
      { logLevel: 'info', flags: { a: true, 'x/y': false }, keep: [1, 2] },
      { logLevel: 'debug', flags: { a: true, b: true }, keep: [1, 2] },
    ),
    [
      { path: '/flags/b', after: true },
      { path: '/flags/x~1y', before: false },
      { path: '/logLevel', before: 'info', after: 'debug' },
    ],
  );
});

test('no change, no entry; arrays and values of another kind are compared whole', () => {
  assert.deepEqual(diffSettings({ a: { b: 1 } }, { a: { b: 1 } }), []);
  assert.deepEqual(diffSettings({ list: [1, 2] }, { list: [2, 1] }), [{ path: '/list', before: [1, 2], after: [2, 1] }]);
  assert.deepEqual(diffSettings({ a: 1 }, { a: { b: 1 } }), [{ path: '/a', before: 1, after: { b: 1 } }]);
  assert.deepEqual(diffSettings({}, {}), []);
});
