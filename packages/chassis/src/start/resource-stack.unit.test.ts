import { test } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import { createResourceStack } from './resource-stack.ts';

const silent = pino({ level: 'silent' });

test('releases in reverse order, once, and a failing release does not stop the others', async () => {
  const stack = createResourceStack(silent);
  const released: string[] = [];
  stack.defer('a', () => void released.push('a'));
  stack.defer('b', () => {
    released.push('b');
    throw new Error('b fails');
  });
  stack.defer('c', async () => void released.push('c'));
  await Promise.all([stack.release(), stack.release()]);
  await stack.release();
  assert.deepEqual(released, ['c', 'b', 'a']);
});

test('refuses what is acquired after the release began', async () => {
  const stack = createResourceStack(silent);
  await stack.release();
  assert.throws(() => stack.defer('late', () => undefined), /late acquired after/);
});
