// The sampler built from OTEL_TRACES_SAMPLER/_ARG: new traces by ratio (decided
// by the trace id, so every service agrees), parents followed in both directions.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { ROOT_CONTEXT, SpanKind, trace, TraceFlags, type Context } from '@opentelemetry/api';
import { SamplingDecision } from '@opentelemetry/sdk-trace-base';
import { buildSampler, UNTRACED, type SamplingOptions } from './tracing.ts';

const newTraceId = () => randomBytes(16).toString('hex');
const remoteParent = (traceId: string, sampled: boolean): Context =>
  trace.setSpanContext(ROOT_CONTEXT, {
    traceId,
    spanId: 'b7ad6b7169203331',
    traceFlags: sampled ? TraceFlags.SAMPLED : TraceFlags.NONE,
    isRemote: true,
  });

function decide(options: SamplingOptions, ctx: Context, traceId = newTraceId()): boolean {
  const result = buildSampler(options).shouldSample(ctx, traceId, 'GET', SpanKind.SERVER, {}, []);
  return result.decision === SamplingDecision.RECORD_AND_SAMPLED;
}

test('parentbased_traceidratio records about its ratio of new traces', () => {
  const sampler = buildSampler({ sampler: 'parentbased_traceidratio', ratio: 0.1 });
  let recorded = 0;
  for (let i = 0; i < 10_000; i++) {
    const r = sampler.shouldSample(ROOT_CONTEXT, newTraceId(), 'GET', SpanKind.SERVER, {}, []);
    if (r.decision === SamplingDecision.RECORD_AND_SAMPLED) recorded++;
  }
  // Binomial(10000, 0.1): the standard deviation is 30; 800..1200 is more than six of them.
  assert.ok(recorded > 800 && recorded < 1200, `recorded ${recorded} of 10000`);
});

test('the decision follows the trace id, so every service that starts a span in the trace makes the same one', () => {
  const options: SamplingOptions = { sampler: 'traceidratio', ratio: 0.5 };
  for (let i = 0; i < 100; i++) {
    const traceId = newTraceId();
    assert.equal(decide(options, ROOT_CONTEXT, traceId), decide(options, ROOT_CONTEXT, traceId));
  }
});

test("parent-based samplers follow the caller's sampled flag, whatever the ratio", () => {
  for (const ratio of [0, 0.1, 1]) {
    const options: SamplingOptions = { sampler: 'parentbased_traceidratio', ratio };
    const traceId = newTraceId();
    assert.equal(decide(options, remoteParent(traceId, true), traceId), true, `sampled parent, ratio ${ratio}`);
    assert.equal(decide(options, remoteParent(traceId, false), traceId), false, `unsampled parent, ratio ${ratio}`);
  }
  assert.equal(decide({ sampler: 'parentbased_traceidratio', ratio: 1 }, ROOT_CONTEXT), true);
  assert.equal(decide({ sampler: 'parentbased_traceidratio', ratio: 0 }, ROOT_CONTEXT), false);
});

test('always_on records everything, even under an unsampled parent; always_off nothing', () => {
  const traceId = newTraceId();
  assert.equal(decide({ sampler: 'always_on', ratio: 1 }, remoteParent(traceId, false), traceId), true);
  assert.equal(decide({ sampler: 'always_off', ratio: 1 }, remoteParent(traceId, true), traceId), false);
  assert.equal(decide({ sampler: 'parentbased_always_on', ratio: 0 }, ROOT_CONTEXT), true);
});

test('a scrape or a probe (UNTRACED) is never recorded, whatever the sampler', () => {
  for (const sampler of ['always_on', 'parentbased_always_on', 'traceidratio'] as const)
    assert.equal(decide({ sampler, ratio: 1 }, UNTRACED), false, sampler);
});
