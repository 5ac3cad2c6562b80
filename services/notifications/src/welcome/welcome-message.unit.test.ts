// Welcome messages: greeting by name when there is one, always naming the account.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { signUpAttemptMessage, welcomeMessage } from './welcome-message.ts';

test('greets by name and names the account', () => {
  const message = welcomeMessage({ name: 'Ann Example', email: 'ann@example.com' });
  assert.equal(message.title, 'Welcome to souk, Ann Example!');
  assert.match(message.body, /ann@example\.com/);
});

test('without a name (or a blank one) the greeting is plain', () => {
  assert.equal(welcomeMessage({ name: null, email: 'x@example.com' }).title, 'Welcome to souk!');
  assert.equal(welcomeMessage({ name: '  ', email: 'x@example.com' }).title, 'Welcome to souk!');
});

test('the same registration always makes the same message', () => {
  const user = { name: 'Bo', email: 'bo@example.com' };
  assert.deepEqual(welcomeMessage(user), welcomeMessage({ ...user }));
});

test('a sign-up attempt on an existing account warns its owner, naming the address and the time', () => {
  const message = signUpAttemptMessage({ email: 'ann@example.com', attemptedAt: '2026-12-07T03:00:00.000Z' });
  assert.equal(message.title, 'Someone tried to sign up with your email');
  assert.match(message.body, /ann@example\.com/);
  assert.match(message.body, /2026-12-07T03:00:00\.000Z/);
  assert.match(message.body, /Nothing was changed/);
});
