import { test } from 'node:test';
import assert from 'node:assert/strict';
import { JsonTraceSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import {
  decodeTraces,
  isOtlpDecodeError,
  MAX_ANY_VALUE_DEPTH,
  MAX_ATTRIBUTES_PER_SPAN,
  MAX_SPANS_PER_REQUEST,
  MAX_STRING_LENGTH,
  OtlpDecodeError,
} from './index.ts';
import { assertDecodeError } from './test/assertions.ts';
import { handBuiltExpected, handBuiltJson, handBuiltProtobuf } from './test/hand-built.ts';
import { recordSpans } from './test/sdk-spans.ts';

test('the SDK spans decode the same from protobuf and JSON, and as expected', async () => {
  const { spans, expected } = await recordSpans();
  const fromProtobuf = decodeTraces(Buffer.from(ProtobufTraceSerializer.serializeRequest(spans)!), 'protobuf');
  const fromJson = decodeTraces(Buffer.from(JsonTraceSerializer.serializeRequest(spans)!), 'json');
  assert.deepEqual(fromJson, fromProtobuf);
  assert.deepEqual(fromProtobuf, expected);
});

test('the hand-built request decodes the same from protobuf and JSON', () => {
  const fromProtobuf = decodeTraces(Buffer.from(handBuiltProtobuf), 'protobuf');
  const fromJson = decodeTraces(Buffer.from(JSON.stringify(handBuiltJson)), 'json');
  assert.deepEqual(fromJson, fromProtobuf);
  assert.deepEqual(fromProtobuf, handBuiltExpected);
});

test('a JSON syntax error is an OtlpDecodeError', () => {
  const message = assertDecodeError(() => decodeTraces(Buffer.from('{"resourceSpans": ['), 'json'), /^body is not valid JSON: /);
  assert.ok(message.length > 'body is not valid JSON: '.length);
  assertDecodeError(() => decodeTraces(Buffer.from(''), 'json'), /^body is not valid JSON/);
});

test('the error is recognised without instanceof, and carries the field path', () => {
  let caught: unknown;
  try {
    decodeTraces(Buffer.from(JSON.stringify({ resourceSpans: [{ scopeSpans: [{ spans: [{ traceId: 'x' }] }] }] })), 'json');
  } catch (err) {
    caught = err;
  }
  assert.ok(caught instanceof OtlpDecodeError);
  assert.ok(isOtlpDecodeError(caught));
  assert.equal(caught.path, 'resourceSpans[0].scopeSpans[0].spans[0].traceId');
  assert.ok(!isOtlpDecodeError(new Error('plain')));
});

test('the limits are exported', () => {
  assert.deepEqual(
    { MAX_SPANS_PER_REQUEST, MAX_ANY_VALUE_DEPTH, MAX_STRING_LENGTH, MAX_ATTRIBUTES_PER_SPAN },
    { MAX_SPANS_PER_REQUEST: 10_000, MAX_ANY_VALUE_DEPTH: 8, MAX_STRING_LENGTH: 4096, MAX_ATTRIBUTES_PER_SPAN: 128 },
  );
});
