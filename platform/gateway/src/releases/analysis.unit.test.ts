import { test } from 'node:test';
import assert from 'node:assert/strict';
import { judge } from './analysis.ts';
import { analysisOf } from './policy.ts';

const analysis = analysisOf({ minRequests: 20, maxErrorRateIncrease: 0.05, maxLatencyRatio: 2 });
const side = (requests: number, failures: number, meanMs: number) => ({ requests, failures, totalMs: requests * meanMs });

test('too few canary requests: wait, even at the end of the window', () => {
  assert.equal(judge(side(19, 19, 5), side(100, 0, 5), analysis, true).kind, 'wait');
});

test('a canary failing 30 % against 0 % is rolled back without waiting for the window to close', () => {
  const verdict = judge(side(40, 12, 5), side(100, 0, 5), analysis, false);
  assert.equal(verdict.kind, 'rollback');
  assert.match((verdict as { reason: string }).reason, /error rate 30% against 0%/);
});

test('within the allowed increase: healthy once the window closes, wait before', () => {
  assert.equal(judge(side(100, 4, 5), side(100, 0, 5), analysis, false).kind, 'wait');
  assert.equal(judge(side(100, 4, 5), side(100, 0, 5), analysis, true).kind, 'healthy');
});

test('latency: twice as slow and 25 ms more is a rollback; a few milliseconds more is not', () => {
  assert.equal(judge(side(50, 0, 80), side(50, 0, 20), analysis, false).kind, 'rollback');
  assert.equal(judge(side(50, 0, 12), side(50, 0, 4), analysis, true).kind, 'healthy');
});

test('with no stable traffic the canary is held to the error threshold only', () => {
  assert.equal(judge(side(50, 0, 500), side(0, 0, 0), analysis, true).kind, 'healthy');
  assert.equal(judge(side(50, 10, 5), side(0, 0, 0), analysis, true).kind, 'rollback');
});
