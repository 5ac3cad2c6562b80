// The request's context in its stream callbacks: emitIn runs every listener of
// an emitter (added before or after) in the context it was given, and leaves
// removal and the listeners themselves as they were.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { context, createContextKey, ROOT_CONTEXT } from '@opentelemetry/api';
import '../context.ts'; // installs the context manager
import { emitIn } from './telemetry.ts';

const KEY = createContextKey('test');

test('listeners run in the given context, wherever the event is emitted from', () => {
  const emitter = new EventEmitter();
  const seen: unknown[] = [];
  emitter.on('before', () => seen.push(context.active().getValue(KEY)));
  emitIn(ROOT_CONTEXT.setValue(KEY, 'request'), emitter);
  emitter.on('data', (chunk: string, more: string) => seen.push(`${chunk}${more}`, context.active().getValue(KEY)));
  emitter.once('end', () => seen.push(context.active().getValue(KEY)));
  // Emitted from another context (the socket's), as a stream does.
  context.with(ROOT_CONTEXT.setValue(KEY, 'socket'), () => {
    emitter.emit('before');
    assert.equal(emitter.emit('data', 'a', 'b'), true);
    emitter.emit('end');
    assert.equal(context.active().getValue(KEY), 'socket', 'the emitter gets its context back');
  });
  assert.equal(emitter.emit('end'), false, 'once still means once');
  assert.deepEqual(seen, ['request', 'ab', 'request', 'request']);
});

test('a listener is removed by the function that was added, and an error event still throws', () => {
  const emitter = new EventEmitter();
  emitIn(ROOT_CONTEXT.setValue(KEY, 'request'), emitter);
  let calls = 0;
  const onData = () => calls++;
  emitter.on('data', onData);
  emitter.emit('data');
  emitter.removeListener('data', onData);
  emitter.emit('data');
  assert.equal(calls, 1);
  assert.equal(emitter.listenerCount('data'), 0);
  assert.throws(() => emitter.emit('error', new Error('boom')), /boom/);
});
