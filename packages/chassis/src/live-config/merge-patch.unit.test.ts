import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyMergePatch, mergePatchFrom } from './merge-patch.ts';

test('RFC 7396: objects merge, null removes, arrays and scalars replace', () => {
  const base = { logLevel: 'info', breaker: { failureThreshold: 5, halfOpenAfterMs: 10_000 }, flags: { a: true }, list: [1, 2] };
  assert.deepEqual(applyMergePatch(base, { logLevel: 'debug', breaker: { failureThreshold: 3 }, flags: null, list: [3] }), {
    logLevel: 'debug',
    breaker: { failureThreshold: 3, halfOpenAfterMs: 10_000 },
    list: [3],
  });
  assert.deepEqual(base.breaker, { failureThreshold: 5, halfOpenAfterMs: 10_000 }, 'the target is not changed');
  assert.deepEqual(applyMergePatch(undefined, { a: { b: 1 } }), { a: { b: 1 } });
  assert.deepEqual(applyMergePatch({ a: 1 }, {}), { a: 1 });
});

test('mergePatchFrom gives the patch that turns one document into the other', () => {
  const cases: [unknown, unknown][] = [
    [{ canary: { weight: 50, analysis: { minRequests: 5 } } }, { canary: { weight: 0, analysis: { minRequests: 5 } } }],
    [{ canary: { weight: 50 } }, { active: 'canary' }],
    [undefined, { active: 'green' }],
    [{ a: [1, 2] }, { a: [2] }],
  ];
  for (const [from, to] of cases) assert.deepEqual(applyMergePatch(from, mergePatchFrom(from, to)), to);
  assert.deepEqual(mergePatchFrom({ canary: { weight: 50, release: 'canary' } }, { canary: { weight: 0, release: 'canary' } }), {
    canary: { weight: 0 },
  });
  assert.equal(mergePatchFrom({ a: 1 }, undefined), null);
});
