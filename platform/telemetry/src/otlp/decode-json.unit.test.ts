import { test } from 'node:test';
import assert from 'node:assert/strict';
import { JsonTraceSerializer } from '@opentelemetry/otlp-transformer';
import { decodeJsonTraces } from './decode-json.ts';
import { MAX_ANY_VALUE_DEPTH, MAX_ATTRIBUTES_PER_SPAN, MAX_SPANS_PER_REQUEST, MAX_STRING_LENGTH } from './limits.ts';
import { assertDecodeError } from './test/assertions.ts';
import { handBuiltExpected, handBuiltJson, SPAN_ID, TRACE_ID } from './test/hand-built.ts';
import { recordSpans } from './test/sdk-spans.ts';

const SPAN = 'resourceSpans[0].scopeSpans[0].spans[0]';

/** A request of one resource and one scope holding this span (with valid ids unless it sets its own). */
function oneSpan(span: Record<string, unknown>): unknown {
  return { resourceSpans: [{ scopeSpans: [{ spans: [{ traceId: TRACE_ID, spanId: SPAN_ID, ...span }] }] }] };
}

/** The message decoding `span` (in a request of one) fails with. */
function spanError(span: Record<string, unknown>, message: RegExp): string {
  return assertDecodeError(() => decodeJsonTraces(oneSpan(span)), message);
}

/** An AnyValue of arrays nested so that its innermost value is at `depth`. */
function nested(depth: number): unknown {
  let value: unknown = { intValue: 1 };
  for (let level = 1; level < depth; level++) value = { arrayValue: { values: [value] } };
  return value;
}

test('decodes the SDK spans JsonTraceSerializer writes', async () => {
  const { spans, expected } = await recordSpans();
  const body: unknown = JSON.parse(Buffer.from(JsonTraceSerializer.serializeRequest(spans)!).toString('utf8'));
  assert.deepEqual(decodeJsonTraces(body), expected);
});

test('decodes what the SDK cannot send: kvlist, bytes, nested arrays, numbers as strings, ids in capitals, nulls', () => {
  const decoded = decodeJsonTraces(handBuiltJson);
  assert.deepEqual(decoded, handBuiltExpected);
  assert.ok(Object.hasOwn(decoded[0]!.attributes, '__proto__'));
  assert.equal(Object.getPrototypeOf(decoded[0]!.attributes), Object.prototype);
});

test('an object without resourceSpans is a request without spans', () => {
  assert.deepEqual(decodeJsonTraces({}), []);
  assert.deepEqual(decodeJsonTraces({ resourceSpans: null }), []);
});

test('doubles may be NaN or ±Infinity as strings, an int64 of -0 is 0, bytes come in either base64 alphabet', () => {
  const value = (any: unknown, key = 'v') => ({ key, value: any });
  const [span] = decodeJsonTraces(
    oneSpan({
      attributes: [
        value({ doubleValue: 'NaN' }, 'nan'),
        value({ doubleValue: '-Infinity' }, 'negativeInfinity'),
        value({ doubleValue: 3 }, 'three'),
        value({ intValue: -9_007_199_254_740_991 }, 'minSafe'),
        value({ intValue: '-0' }, 'zero'),
        value({ bytesValue: '+/8=' }, 'standard'),
        value({ bytesValue: '-_8' }, 'urlSafe'),
        value({ stringValue: null, boolValue: true }, 'nullIgnored'),
      ],
    }),
  );
  assert.deepEqual(span!.attributes, {
    nan: NaN,
    negativeInfinity: -Infinity,
    three: 3,
    minSafe: -9_007_199_254_740_991,
    zero: 0,
    standard: '+/8=',
    urlSafe: '+/8=',
    nullIgnored: true,
  });
});

test(`strings are cut to ${MAX_STRING_LENGTH} code units and get '…'`, () => {
  const [span] = decodeJsonTraces(
    oneSpan({
      name: 'n'.repeat(MAX_STRING_LENGTH + 1),
      attributes: [{ key: 'k', value: { stringValue: `a${'𝄞'.repeat(3000)}` } }],
    }),
  );
  assert.equal(span!.name, `${'n'.repeat(MAX_STRING_LENGTH)}…`);
  assert.equal(span!.attributes.k, `a${'𝄞'.repeat((MAX_STRING_LENGTH - 2) / 2)}…`);
});

test(`events and links keep their first ${MAX_ATTRIBUTES_PER_SPAN} attributes too`, () => {
  const many = Array.from({ length: MAX_ATTRIBUTES_PER_SPAN + 5 }, (_, i) => ({ key: `k${i}`, value: { boolValue: true } }));
  const [span] = decodeJsonTraces(
    oneSpan({
      attributes: many,
      events: [{ name: 'e', attributes: many }],
      links: [{ traceId: TRACE_ID, spanId: SPAN_ID, attributes: many }],
    }),
  );
  assert.equal(Object.keys(span!.attributes).length, MAX_ATTRIBUTES_PER_SPAN);
  assert.equal(Object.keys(span!.events[0]!.attributes).length, MAX_ATTRIBUTES_PER_SPAN);
  assert.equal(Object.keys(span!.links[0]!.attributes).length, MAX_ATTRIBUTES_PER_SPAN);
});

test(`AnyValues may nest ${MAX_ANY_VALUE_DEPTH} deep, not deeper`, () => {
  assert.equal(decodeJsonTraces(oneSpan({ attributes: [{ key: 'deep', value: nested(MAX_ANY_VALUE_DEPTH) }] })).length, 1);
  const kvlist = { kvlistValue: { values: [{ key: 'inner', value: nested(MAX_ANY_VALUE_DEPTH) }] } };
  spanError(
    { attributes: [{ key: 'deep', value: kvlist }] },
    /^resourceSpans\[0\]\.scopeSpans\[0\]\.spans\[0\]\.attributes\[0\]\.value\.kvlistValue\.values\[0\]\.value(\.arrayValue\.values\[0\]){7} nests arrays and kvlists deeper than 8 levels$/,
  );
});

test(`a request may hold ${MAX_SPANS_PER_REQUEST} spans, not more`, () => {
  const span = { traceId: TRACE_ID, spanId: SPAN_ID };
  const request = (count: number) => ({
    resourceSpans: [
      { scopeSpans: [{ spans: Array.from({ length: count - 1 }, () => span) }] },
      { scopeSpans: [{ spans: [span] }] },
    ],
  });
  assert.equal(decodeJsonTraces(request(MAX_SPANS_PER_REQUEST)).length, MAX_SPANS_PER_REQUEST);
  assertDecodeError(
    () => decodeJsonTraces(request(MAX_SPANS_PER_REQUEST + 1)),
    /^the request holds more than 10000 spans; send smaller batches$/,
  );
});

test('ids must be hex of their length, not all zero; the error names the field path', () => {
  const request = {
    resourceSpans: [
      {
        scopeSpans: [
          { spans: [] },
          { spans: [0, 1, 2, 3].map((i) => ({ traceId: i === 3 ? 'abc' : TRACE_ID, spanId: SPAN_ID })) },
        ],
      },
    ],
  };
  const message = assertDecodeError(() => decodeJsonTraces(request), /traceId/);
  assert.equal(
    message,
    'resourceSpans[0].scopeSpans[1].spans[3].traceId must be 32 hex digits (16 bytes), not all zero; got "abc"',
  );
  spanError(
    { traceId: 'g'.repeat(32) },
    /^resourceSpans\[0\]\.scopeSpans\[0\]\.spans\[0\]\.traceId must be 32 hex digits .*; got the string "g{32}"$/,
  );
  spanError({ traceId: '0'.repeat(32) }, /traceId must be 32 hex digits .*; got "0{32}"$/);
  spanError({ traceId: null }, /traceId must be 32 hex digits .*; got nothing$/);
  spanError({ spanId: 12 }, /spanId must be 16 hex digits \(8 bytes\), not all zero; got number 12$/);
  spanError({ parentSpanId: 'abcd' }, /parentSpanId must be 16 hex digits .*; got "abcd"$/);
  spanError({ links: [{ traceId: TRACE_ID, spanId: '0'.repeat(16) }] }, /spans\[0\]\.links\[0\]\.spanId must be 16 hex digits/);
  assert.equal(decodeJsonTraces(oneSpan({ parentSpanId: '' }))[0]!.parentSpanId, null);
});

test('fields of the wrong JSON type are refused, by path', () => {
  assertDecodeError(() => decodeJsonTraces([]), /^body must be an object; got an array$/);
  assertDecodeError(() => decodeJsonTraces('x'), /^body must be an object; got the string "x"$/);
  assertDecodeError(() => decodeJsonTraces({ resourceSpans: {} }), /^resourceSpans must be an array; got an object$/);
  assertDecodeError(() => decodeJsonTraces({ resourceSpans: [7] }), /^resourceSpans\[0\] must be an object; got number 7$/);
  assertDecodeError(
    () =>
      decodeJsonTraces({ resourceSpans: [{ resource: { attributes: [{ key: 'service.name', value: { stringValue: 5 } }] } }] }),
    /^resourceSpans\[0\]\.resource\.attributes\[0\]\.value\.stringValue must be a string; got number 5$/,
  );
  assertDecodeError(
    () => decodeJsonTraces({ resourceSpans: [{ scopeSpans: [{ scope: { name: true } }] }] }),
    /^resourceSpans\[0\]\.scopeSpans\[0\]\.scope\.name must be a string; got boolean true$/,
  );
  const cases: [Record<string, unknown>, string][] = [
    [{ name: 5 }, 'name must be a string; got number 5'],
    [{ kind: 'SPAN_KIND_SERVER' }, 'kind must be a SpanKind, an integer 0..5; got the string "SPAN_KIND_SERVER"'],
    [{ kind: 6 }, 'kind must be a SpanKind, an integer 0..5; got number 6'],
    [{ kind: 1.5 }, 'kind must be a SpanKind, an integer 0..5; got number 1.5'],
    [
      { startTimeUnixNano: '-1' },
      'startTimeUnixNano must be nanoseconds since the epoch, a uint64 as a decimal string or number; got the string "-1"',
    ],
    [
      { endTimeUnixNano: 1.5 },
      'endTimeUnixNano must be nanoseconds since the epoch, a uint64 as a decimal string or number; got number 1.5',
    ],
    [
      { endTimeUnixNano: '18446744073709551616' },
      'endTimeUnixNano must be nanoseconds since the epoch, a uint64 as a decimal string or number; got the string "18446744073709551616"',
    ],
    [{ attributes: {} }, 'attributes must be an array; got an object'],
    [{ attributes: [{ key: 1 }] }, 'attributes[0].key must be a string; got number 1'],
    [{ attributes: [{ key: 'k', value: 'v' }] }, 'attributes[0].value must be an object; got the string "v"'],
    [
      { attributes: [{ key: 'k', value: { intValue: 1.5 } }] },
      'attributes[0].value.intValue must be an int64, as a decimal string or number; got number 1.5',
    ],
    [
      { attributes: [{ key: 'k', value: { intValue: '9223372036854775808' } }] },
      'attributes[0].value.intValue must be an int64, as a decimal string or number; got the string "9223372036854775808"',
    ],
    [
      { attributes: [{ key: 'k', value: { boolValue: 'true' } }] },
      'attributes[0].value.boolValue must be a boolean; got the string "true"',
    ],
    [
      { attributes: [{ key: 'k', value: { doubleValue: '1.5' } }] },
      'attributes[0].value.doubleValue must be a number (or "NaN", "Infinity", "-Infinity"); got the string "1.5"',
    ],
    [
      { attributes: [{ key: 'k', value: { bytesValue: 'not base64!' } }] },
      'attributes[0].value.bytesValue must be base64; got the string "not base64!"',
    ],
    [{ attributes: [{ key: 'k', value: { arrayValue: [] } }] }, 'attributes[0].value.arrayValue must be an object; got an array'],
    [
      { attributes: [{ key: 'k', value: { kvlistValue: { values: [{ key: 'a', value: { intValue: 'x' } }] } } }] },
      'attributes[0].value.kvlistValue.values[0].value.intValue must be an int64, as a decimal string or number; got the string "x"',
    ],
    [
      { attributes: [{ key: 'k', value: { stringValue: 'a', intValue: 1 } }] },
      'attributes[0].value has both stringValue and intValue: an AnyValue holds one value',
    ],
    [
      { events: [{ timeUnixNano: 'soon' }] },
      'events[0].timeUnixNano must be nanoseconds since the epoch, a uint64 as a decimal string or number; got the string "soon"',
    ],
    [{ events: {} }, 'events must be an array; got an object'],
    [{ links: [null] }, 'links[0] must be an object; got null'],
    [{ status: 'ERROR' }, 'status must be an object; got the string "ERROR"'],
    [{ status: { code: 3 } }, 'status.code must be a StatusCode, an integer 0..2; got number 3'],
    [{ status: { code: 2, message: ['x'] } }, 'status.message must be a string; got an array'],
  ];
  for (const [span, problem] of cases) {
    const message = spanError(span, /./);
    assert.equal(message, `${SPAN}.${problem}`);
  }
});
