import { test } from 'node:test';
import assert from 'node:assert/strict';
import { allSettledOrThrow } from './settle.ts';

test('the values in argument order once every promise settled', async () => {
  const slow = new Promise<string>((resolve) => setTimeout(() => resolve('slow'), 5));
  assert.deepEqual(await allSettledOrThrow([slow, Promise.resolve(2)] as const), ['slow', 2]);
});

test('the first failure, thrown only once the others have settled', async () => {
  let otherDone = false;
  const other = new Promise<void>((resolve) =>
    setTimeout(() => {
      otherDone = true;
      resolve();
    }, 5),
  );
  await assert.rejects(
    allSettledOrThrow([Promise.reject(new Error('first')), other, Promise.reject(new Error('second'))]),
    /first/,
  );
  assert.equal(otherDone, true, 'not raced: the sibling had settled');
});
