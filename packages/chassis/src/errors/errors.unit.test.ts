import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defineErrors, errorCatalogue, isSoukError, SoukError } from './errors.ts';
import { chassisErrors } from './codes.ts';
import { fromProblem, toProblem, toSoukError } from './problem.ts';

const errors = defineErrors({
  thingMissing: { code: 'SOUK_TEST_THING_MISSING', status: 404, title: 'Thing not found', description: 'test' },
});

test('a factory creates coded errors and recognises its own', () => {
  const err = errors.thingMissing('No thing 7');
  assert.equal(err.code, 'SOUK_TEST_THING_MISSING');
  assert.equal(err.status, 404);
  assert.equal(err.detail, 'No thing 7');
  assert.equal(err.retryable, false);
  assert.ok(errors.thingMissing.is(err));
  assert.ok(!errors.thingMissing.is(chassisErrors.internal()));
  assert.ok(errorCatalogue().has('SOUK_TEST_THING_MISSING'));
});

test('isSoukError works without instanceof (another copy of the package)', () => {
  const foreign = Object.assign(new Error('x'), { [Symbol.for('souk.error')]: true, code: 'SOUK_X_Y' });
  assert.ok(isSoukError(foreign));
  assert.ok(!isSoukError(new Error('plain')));
});

test('codes must follow SOUK_<AREA>_<WHAT> and be defined once', () => {
  assert.throws(() => defineErrors({ bad: { code: 'NOT_SOUK', status: 400, title: 't', description: 'd' } }), /bad error code/);
  assert.throws(
    () => defineErrors({ again: { code: 'SOUK_TEST_THING_MISSING', status: 400, title: 't', description: 'd' } }),
    /defined twice/,
  );
});

test('problem documents follow RFC 9457 and carry code and trace id', () => {
  const err = errors.thingMissing({ detail: 'No thing 7', extensions: { thingId: 7 } });
  const doc = toProblem(err, { instance: '/things/7', traceId: 'abc' });
  assert.deepEqual(doc, {
    thingId: 7,
    type: 'urn:souk:problem:SOUK_TEST_THING_MISSING',
    title: 'Thing not found',
    status: 404,
    detail: 'No thing 7',
    code: 'SOUK_TEST_THING_MISSING',
    instance: '/things/7',
    traceId: 'abc',
  });
});

test('a received problem is rebuilt as a typed error with the same code', () => {
  const doc = toProblem(errors.thingMissing({ detail: 'gone', extensions: { thingId: 7 } }), { traceId: 't1' });
  const err = fromProblem(doc, 404, 'things');
  assert.ok(errors.thingMissing.is(err));
  assert.equal(err.detail, 'gone');
  assert.equal(err.extensions.thingId, 7);
  assert.equal(err.extensions.service, 'things');
  assert.equal(err.extensions.remoteTraceId, 't1');
});

test('a response without a problem document still becomes a coded error', () => {
  assert.equal(fromProblem('<html>', 502).code, 'SOUK_UPSTREAM_ERROR');
  assert.equal(fromProblem(undefined, 400).code, 'SOUK_UPSTREAM_REJECTED');
  assert.equal(fromProblem({}, 503).retryable, true);
});

test('anything that is not a souk error is an internal error that keeps its cause', () => {
  const cause = new TypeError('boom');
  const err = toSoukError(cause);
  assert.ok(err instanceof SoukError);
  assert.equal(err.code, 'SOUK_INTERNAL');
  assert.equal(err.status, 500);
  assert.equal(err.cause, cause);
  assert.equal(err.detail, 'An unexpected error occurred.'); // never leaks the message
});
