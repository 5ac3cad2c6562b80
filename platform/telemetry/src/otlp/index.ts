// OTLP/HTTP trace export decoding: the body of a POST /v1/traces, in either encoding, to SpanRecords.

import type { SpanRecord } from '../model.ts';
import { decodeJsonTraces } from './decode-json.ts';
import { decodeProtobufTraces } from './decode-protobuf.ts';
import { OtlpDecodeError } from './errors.ts';

export { decodeJsonTraces } from './decode-json.ts';
export { decodeProtobufTraces } from './decode-protobuf.ts';
export { isOtlpDecodeError, OtlpDecodeError } from './errors.ts';
export { MAX_ANY_VALUE_DEPTH, MAX_ATTRIBUTES_PER_SPAN, MAX_SPANS_PER_REQUEST, MAX_STRING_LENGTH } from './limits.ts';

/** The two encodings of OTLP/HTTP: `application/json` and `application/x-protobuf`. */
export type OtlpEncoding = 'json' | 'protobuf';

/**
 * Decodes an ExportTraceServiceRequest body into one SpanRecord per span, in the order they were sent.
 * Throws OtlpDecodeError (answer 400) when the body is malformed or over a limit; nothing else.
 */
export function decodeTraces(body: Buffer, encoding: OtlpEncoding): SpanRecord[] {
  if (encoding === 'protobuf') return decodeProtobufTraces(body);
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch (err) {
    throw new OtlpDecodeError(`body is not valid JSON: ${err instanceof Error ? err.message : String(err)}`, 'body', {
      cause: err,
    });
  }
  return decodeJsonTraces(parsed);
}
