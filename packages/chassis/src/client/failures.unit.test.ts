// Which failures are retried, for which requests, and how transport and
// policy errors become souk errors.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BrokenCircuitError, BulkheadRejectedError, TaskCancelledError } from 'cockatiel';
import { chassisErrors, fromProblem } from '../errors/index.ts';
import { failureKind, isRepeatable, markFailure, policyFailure, shouldRetry, transportFailure } from './failures.ts';

test('idempotent methods and keyed requests are repeatable; POST and PATCH are not', () => {
  for (const m of ['GET', 'head', 'OPTIONS', 'PUT', 'DELETE']) assert.equal(isRepeatable(m), true, m);
  for (const m of ['POST', 'PATCH']) assert.equal(isRepeatable(m), false, m);
  assert.equal(isRepeatable('POST', 'order-42'), true);
  assert.equal(isRepeatable('POST', ''), false);
});

test('timeouts, broken connections and 502/503/504 are retried only for repeatable requests', () => {
  const timeout = markFailure(chassisErrors.timeout(), 'timeout');
  const reset = markFailure(chassisErrors.connectionFailed(), 'connection');
  const unavailable = markFailure(fromProblem({ code: 'SOUK_SERVICE_SHUTTING_DOWN', status: 503 }, 503), 'status');
  for (const err of [timeout, reset, unavailable]) {
    assert.equal(shouldRetry(err, true), true, err.code);
    assert.equal(shouldRetry(err, false), false, err.code);
  }
});

test('a request that never left (refused, breaker open) is retried whatever its method', () => {
  assert.equal(shouldRetry(markFailure(chassisErrors.connectionFailed(), 'not-sent'), false), true);
  assert.equal(shouldRetry(markFailure(chassisErrors.circuitOpen(), 'breaker-open'), false), true);
});

test('4xx answers and untagged errors are never retried', () => {
  const notFound = markFailure(fromProblem({ code: 'SOUK_CATALOG_PRODUCT_NOT_FOUND', status: 404 }, 404), 'final');
  assert.equal(shouldRetry(notFound, true), false);
  assert.equal(shouldRetry(new Error('bug'), true), false);
  assert.equal(shouldRetry(chassisErrors.bulkheadFull(), true), false);
});

test('connect errors count as unsent, resets as possibly sent, aborts as timeouts', () => {
  const refused = transportFailure(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }), 'catalog', false);
  assert.equal(refused.code, 'SOUK_CLIENT_CONNECTION_FAILED');
  assert.equal(failureKind(refused), 'not-sent');
  assert.equal(refused.extensions.service, 'catalog');

  const wrapped = transportFailure(new TypeError('fetch failed', { cause: { code: 'ENOTFOUND' } }), 'catalog', false);
  assert.equal(failureKind(wrapped), 'not-sent');

  const reset = transportFailure(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }), 'catalog', false);
  assert.equal(failureKind(reset), 'connection');

  const aborted = transportFailure(new Error('This operation was aborted'), 'catalog', true);
  assert.equal(aborted.code, 'SOUK_CLIENT_TIMEOUT');
  assert.equal(failureKind(aborted), 'timeout');
});

test('cockatiel policy errors become the SOUK_CLIENT_* codes', () => {
  const t = policyFailure(new TaskCancelledError('timed out'), 'catalog', 50);
  assert.equal((t as { code: string }).code, 'SOUK_CLIENT_TIMEOUT');
  assert.equal(failureKind(t), 'timeout');
  const b = policyFailure(new BrokenCircuitError(), 'catalog', 50);
  assert.equal((b as { code: string }).code, 'SOUK_CLIENT_CIRCUIT_OPEN');
  assert.equal(failureKind(b), 'breaker-open');
  const full = policyFailure(new BulkheadRejectedError(1, 0), 'catalog', 50);
  assert.equal((full as { code: string }).code, 'SOUK_CLIENT_BULKHEAD_FULL');
  assert.equal(shouldRetry(full, true), false);
  const other = new Error('x');
  assert.equal(policyFailure(other, 'catalog', 50), other);
});
