import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { decodeProtobufTraces } from './decode-protobuf.ts';
import { isOtlpDecodeError } from './errors.ts';
import { MAX_ANY_VALUE_DEPTH, MAX_ATTRIBUTES_PER_SPAN, MAX_SPANS_PER_REQUEST, MAX_STRING_LENGTH } from './limits.ts';
import { assertDecodeError } from './test/assertions.ts';
import { handBuiltExpected, handBuiltProtobuf, SPAN_ID, TRACE_ID } from './test/hand-built.ts';
import { bytes, concat, fixed64, hex, message, string, tag, varint } from './test/protobuf-writer.ts';
import { recordSpans } from './test/sdk-spans.ts';

const SPAN = 'resourceSpans[0].scopeSpans[0].spans[0]';
/** SPAN, for a regular expression. */
const SPAN_AT = SPAN.replace(/[[\].]/g, '\\$&');

/** A request of one resource and one scope holding a span of these fields. */
function oneSpan(...fields: Uint8Array[]): Uint8Array {
  return message(1, message(2, message(2, ...fields)));
}

const ids = concat(hex(1, TRACE_ID), hex(2, SPAN_ID));
const attribute = (key: string, ...value: Uint8Array[]) => message(9, string(1, key), message(2, ...value));

/** An AnyValue of arrays nested so that its innermost value is at `depth`. */
function nested(depth: number): Uint8Array {
  let value = varint(3, 1);
  for (let level = 1; level < depth; level++) value = message(5, message(1, value));
  return value;
}

test('decodes the SDK spans ProtobufTraceSerializer writes', async () => {
  const { spans, expected } = await recordSpans();
  assert.deepEqual(decodeProtobufTraces(ProtobufTraceSerializer.serializeRequest(spans)!), expected);
});

test('decodes what the SDK cannot send: kvlist, bytes, nested arrays, fields in any order, unknown fields', () => {
  const decoded = decodeProtobufTraces(handBuiltProtobuf);
  assert.deepEqual(decoded, handBuiltExpected);
  const attributes = decoded[0]!.attributes;
  assert.ok(Object.hasOwn(attributes, '__proto__'));
  assert.equal(Object.getPrototypeOf(attributes), Object.prototype);
});

test('an empty body is a request without spans', () => {
  assert.deepEqual(decodeProtobufTraces(new Uint8Array()), []);
});

test(`strings are cut to ${MAX_STRING_LENGTH} code units and get '…', never inside a surrogate pair`, () => {
  const long = 'a'.repeat(MAX_STRING_LENGTH + 1);
  const [span] = decodeProtobufTraces(
    oneSpan(
      ids,
      string(5, long),
      attribute('euro', string(1, '€'.repeat(5000))),
      attribute('clef', string(1, `a${'𝄞'.repeat(5000)}`)),
      attribute('exact', string(1, 'b'.repeat(MAX_STRING_LENGTH))),
    ),
  );
  assert.equal(span!.name, `${'a'.repeat(MAX_STRING_LENGTH)}…`);
  assert.equal(span!.attributes.euro, `${'€'.repeat(MAX_STRING_LENGTH)}…`);
  assert.equal(span!.attributes.clef, `a${'𝄞'.repeat((MAX_STRING_LENGTH - 2) / 2)}…`);
  assert.equal(span!.attributes.exact, 'b'.repeat(MAX_STRING_LENGTH));
});

test(`a span keeps its first ${MAX_ATTRIBUTES_PER_SPAN} attributes; a repeated key replaces the value`, () => {
  const many = Array.from({ length: MAX_ATTRIBUTES_PER_SPAN + 2 }, (_, i) => attribute(`k${i}`, varint(3, i)));
  const [span] = decodeProtobufTraces(oneSpan(ids, ...many, attribute('k0', string(1, 'again'))));
  const keys = Object.keys(span!.attributes);
  assert.equal(keys.length, MAX_ATTRIBUTES_PER_SPAN);
  assert.equal(keys.at(-1), `k${MAX_ATTRIBUTES_PER_SPAN - 1}`);
  assert.equal(span!.attributes.k0, 'again');
});

test(`AnyValues may nest ${MAX_ANY_VALUE_DEPTH} deep, not deeper`, () => {
  const [span] = decodeProtobufTraces(oneSpan(ids, attribute('deep', nested(MAX_ANY_VALUE_DEPTH))));
  let value = span!.attributes.deep;
  for (let level = 1; level < MAX_ANY_VALUE_DEPTH; level++) value = (value as unknown[])[0] as typeof value;
  assert.equal(value, 1);
  assertDecodeError(
    () => decodeProtobufTraces(oneSpan(ids, attribute('deep', nested(MAX_ANY_VALUE_DEPTH + 1)))),
    new RegExp(
      `^${SPAN_AT}\\.attributes\\[0\\]\\.value(\\.arrayValue\\.values\\[0\\]){${MAX_ANY_VALUE_DEPTH}} nests arrays and kvlists deeper than ${MAX_ANY_VALUE_DEPTH} levels$`,
    ),
  );
});

test(`a request may hold ${MAX_SPANS_PER_REQUEST} spans, not more`, () => {
  const span = message(2, ids, string(5, 's'));
  const request = (count: number) => message(1, message(2, ...Array.from({ length: count }, () => span)));
  assert.equal(decodeProtobufTraces(request(MAX_SPANS_PER_REQUEST)).length, MAX_SPANS_PER_REQUEST);
  assertDecodeError(
    () => decodeProtobufTraces(request(MAX_SPANS_PER_REQUEST + 1)),
    /^the request holds more than 10000 spans; send smaller batches$/,
  );
});

test('a truncated body is an OtlpDecodeError at every length', async () => {
  const body = ProtobufTraceSerializer.serializeRequest((await recordSpans()).spans)!;
  let refused = 0;
  for (let length = 0; length < body.length; length++) {
    try {
      decodeProtobufTraces(body.subarray(0, length));
    } catch (err) {
      assert.ok(isOtlpDecodeError(err), `length ${length}: ${String(err)}`);
      refused++;
    }
  }
  // Only a cut between two ResourceSpans leaves a valid request (of fewer spans).
  assert.ok(refused >= body.length - 2, `${refused} of ${body.length} prefixes refused`);
  assertDecodeError(
    () => decodeProtobufTraces(body.subarray(0, 40)),
    /^resourceSpans\[0\]: truncated: length at byte 1 runs past the end of the message$/,
  );
});

test('a corrupted body decodes or is an OtlpDecodeError, nothing else', async () => {
  const body = ProtobufTraceSerializer.serializeRequest((await recordSpans()).spans)!;
  let seed = 42;
  const random = (below: number) => {
    seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
    return seed % below;
  };
  for (let round = 0; round < 2000; round++) {
    const copy = Uint8Array.from(body);
    for (let flips = 1 + random(3); flips > 0; flips--) copy[random(copy.length)] = random(256);
    try {
      decodeProtobufTraces(copy);
    } catch (err) {
      assert.ok(isOtlpDecodeError(err), `round ${round}: ${String(err)}`);
    }
  }
});

test('a bad varint names the span it is in', () => {
  const elevenBytes = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01];
  assertDecodeError(
    () => decodeProtobufTraces(oneSpan(ids, Uint8Array.from([...tag(6, 0), ...elevenBytes]))),
    new RegExp(`^${SPAN_AT}: varint longer than 10 bytes or over 64 bits at byte \\d+$`),
  );
});

test('a known field with the wrong wire type is refused', () => {
  const message5 = assertDecodeError(() => decodeProtobufTraces(oneSpan(ids, varint(5, 1))), /wire type/);
  assert.equal(message5, `${SPAN}.name (field 5) has wire type 0, expected 2`);
  assertDecodeError(
    () => decodeProtobufTraces(oneSpan(ids, varint(7, 1))),
    new RegExp(`^${SPAN_AT}.startTimeUnixNano \\(field 7\\) has wire type 0, expected 1$`),
  );
  assertDecodeError(
    () => decodeProtobufTraces(oneSpan(ids, attribute('n', string(3, '1')))),
    new RegExp(`^${SPAN_AT}\\.attributes\\[0\\]\\.value\\.intValue \\(field 3\\) has wire type 2, expected 0$`),
  );
  assertDecodeError(() => decodeProtobufTraces(varint(1, 5)), /^resourceSpans \(field 1\) has wire type 0, expected 2$/);
});

test('ids must have their length and not be all zero', () => {
  const cases: [Uint8Array, RegExp][] = [
    [concat(hex(1, 'abcdef0123'), hex(2, SPAN_ID)), /traceId must be 32 hex digits \(16 bytes\), not all zero; got 5 bytes$/],
    [concat(bytes(1, new Uint8Array(16)), hex(2, SPAN_ID)), /traceId must be 32 hex digits .*; got "0{32}"$/],
    [hex(1, TRACE_ID), /spanId must be 16 hex digits \(8 bytes\), not all zero; got nothing$/],
    [concat(hex(2, SPAN_ID)), /traceId .* got nothing$/],
    [concat(ids, hex(4, 'abcdef')), /parentSpanId must be 16 hex digits .*; got 3 bytes$/],
    [
      concat(ids, message(13, hex(1, TRACE_ID), bytes(2, new Uint8Array(8)))),
      /spans\[0\]\.links\[0\]\.spanId must be 16 hex digits/,
    ],
  ];
  for (const [fields, error] of cases) {
    const text = assertDecodeError(() => decodeProtobufTraces(oneSpan(fields)), error);
    assert.ok(text.startsWith(SPAN), text);
  }
  assert.equal(decodeProtobufTraces(oneSpan(ids, bytes(4, [])))[0]!.parentSpanId, null);
});

test('kind and status code must be in range', () => {
  assertDecodeError(
    () => decodeProtobufTraces(oneSpan(ids, varint(6, 6))),
    /spans\[0\]\.kind must be a SpanKind, an integer 0\.\.5; got number 6$/,
  );
  assertDecodeError(() => decodeProtobufTraces(oneSpan(ids, varint(6, -1))), /kind must be a SpanKind.*got number -1$/);
  assertDecodeError(
    () => decodeProtobufTraces(oneSpan(ids, message(15, varint(3, 3)))),
    /spans\[0\]\.status\.code must be a StatusCode, an integer 0\.\.2; got number 3$/,
  );
});

test('groups are refused', () => {
  assertDecodeError(
    () => decodeProtobufTraces(oneSpan(ids, Uint8Array.from([...tag(20, 3), ...tag(20, 4)]))),
    new RegExp(`^${SPAN_AT}: group \\(wire type 3\\) at byte \\d+: groups are not supported$`),
  );
});

test('a length past the end of its message is refused', () => {
  // The span claims 100 bytes; the scope spans around it hold fewer.
  const body = message(1, message(2, Uint8Array.from([...tag(2, 2), 100]), fixed64(7, 1n)));
  assertDecodeError(
    () => decodeProtobufTraces(body),
    /^resourceSpans\[0\]\.scopeSpans\[0\]: truncated: length at byte \d+ runs past/,
  );
});
