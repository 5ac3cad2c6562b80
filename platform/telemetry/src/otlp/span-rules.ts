// The rules both decoders share, so that a span reads the same whichever encoding it came in: the
// SpanRecord's defaults, ids, times, enums, and the limits.

import type { AttributeValue, Attributes, SpanKindNumber, SpanLinkRecord, SpanRecord, StatusCodeNumber } from '../model.ts';
import { OtlpDecodeError } from './errors.ts';
import type { FieldPath } from './field-path.ts';
import { MAX_ANY_VALUE_DEPTH, MAX_ATTRIBUTES_PER_SPAN, MAX_SPANS_PER_REQUEST, MAX_STRING_LENGTH } from './limits.ts';

/** What a span takes from its ResourceSpans' resource. */
export interface ResourceInfo {
  readonly service: string;
  readonly instance: string | null;
}

export const SERVICE_NAME = 'service.name';
export const SERVICE_INSTANCE_ID = 'service.instance.id';
const UNKNOWN_SERVICE = 'unknown_service';

/** The resource's `service.name` and `service.instance.id` values (undefined when absent); only strings count. */
export function resourceInfo(serviceName: AttributeValue | undefined, instanceId: AttributeValue | undefined): ResourceInfo {
  return {
    service: typeof serviceName === 'string' && serviceName !== '' ? serviceName : UNKNOWN_SERVICE,
    instance: typeof instanceId === 'string' && instanceId !== '' ? instanceId : null,
  };
}

/**
 * A span with proto3's defaults, for a decoder to fill in field by field and then hand to
 * `finishSpan`. The ids hold lowercase hex as read ('' when absent) until `finishSpan` checks them.
 */
export function newSpan(resource: ResourceInfo, scope: string | null): SpanRecord {
  return {
    traceId: '',
    spanId: '',
    parentSpanId: '',
    service: resource.service,
    instance: resource.instance,
    name: '',
    kind: 0,
    startUs: 0,
    durationUs: 0,
    statusCode: 0,
    statusMessage: null,
    attributes: {},
    events: [],
    links: [],
    scope,
  };
}

/** Checks the span's ids and sets its times from the nanosecond timestamps. */
export function finishSpan(span: SpanRecord, startNs: bigint, endNs: bigint, path: FieldPath): SpanRecord {
  checkId(span.traceId, 32, path, 'traceId');
  checkId(span.spanId, 16, path, 'spanId');
  span.parentSpanId = parentId(span.parentSpanId ?? '', path, 'parentSpanId');
  span.startUs = nanosToMicros(startNs);
  // From the rounded ends, so that start + duration is the end, in microseconds, exactly.
  span.durationUs = Math.max(0, nanosToMicros(endNs) - span.startUs);
  return span;
}

/** Checks a link's ids (lowercase hex as read). */
export function finishLink(link: SpanLinkRecord, path: FieldPath): SpanLinkRecord {
  checkId(link.traceId, 32, path, 'traceId');
  checkId(link.spanId, 16, path, 'spanId');
  return link;
}

const ZERO_TRACE_ID = '0'.repeat(32);
const ZERO_SPAN_ID = '0'.repeat(16);

/** A trace id (32 digits) or span id (16) in lowercase hex must have its length and not be all zero. */
function checkId(hex: string, digits: 32 | 16, path: FieldPath, field: string): void {
  if (hex.length !== digits || hex === (digits === 32 ? ZERO_TRACE_ID : ZERO_SPAN_ID)) idError(showHex(hex), digits, path, field);
}

/** A parent span id: absent, empty or all zero means a root span. */
function parentId(hex: string, path: FieldPath, field: string): string | null {
  if (hex === '' || hex === ZERO_SPAN_ID) return null;
  if (hex.length !== 16) idError(showHex(hex), 16, path, field);
  return hex;
}

function showHex(hex: string): string {
  return hex === '' ? 'nothing' : JSON.stringify(truncate(hex, 64));
}

/** Fails for an id that is not `digits` hex digits or is all zero; `got` says what came instead. */
export function idError(got: string, digits: number, path: FieldPath, field: string): never {
  path.fail(field, `must be ${digits} hex digits (${digits / 2} bytes), not all zero; got ${got}`);
}

/** A short description of an unexpected JSON value, for an error message. */
export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return `the string ${JSON.stringify(truncate(value, 64))}`;
  switch (typeof value) {
    case 'number':
    case 'boolean':
    case 'bigint':
      return `${typeof value} ${String(value)}`;
    case 'object':
      return 'an object';
    default:
      return typeof value;
  }
}

/** Nanoseconds since the epoch to whole microseconds (BigInt, so that no nanosecond digit is lost first). */
export function nanosToMicros(nanos: bigint): number {
  return Number(nanos / 1000n);
}

/** Span.SpanKind: an integer 0..5. */
export function spanKind(value: unknown, path: FieldPath, field: string): SpanKindNumber {
  if (typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= 5) return value as SpanKindNumber;
  path.fail(field, `must be a SpanKind, an integer 0..5; got ${describe(value)}`);
}

/** Status.StatusCode: an integer 0..2. */
export function statusCode(value: unknown, path: FieldPath, field: string): StatusCodeNumber {
  if (typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= 2) return value as StatusCodeNumber;
  path.fail(field, `must be a StatusCode, an integer 0..2; got ${describe(value)}`);
}

/** Proto3 cannot tell an empty string from an absent one; the model says null for both. */
export function nullIfEmpty(text: string): string | null {
  return text === '' ? null : text;
}

/** Cuts a string to MAX_STRING_LENGTH code units (never between the halves of a surrogate pair) and appends '…'. */
export function capString(text: string): string {
  return text.length <= MAX_STRING_LENGTH ? text : truncate(text, MAX_STRING_LENGTH);
}

function truncate(text: string, length: number): string {
  if (text.length <= length) return text;
  const last = text.charCodeAt(length - 1);
  const cut = last >= 0xd800 && last <= 0xdbff ? length - 1 : length;
  return `${text.slice(0, cut)}…`;
}

/**
 * Adds an attribute to a span's (or event's or link's) list of `count` so far and returns the new count:
 * a repeated key replaces the earlier value, as in a map; past MAX_ATTRIBUTES_PER_SPAN keys the rest are dropped.
 */
export function addAttribute(attributes: Attributes, count: number, key: string, value: AttributeValue): number {
  if (Object.hasOwn(attributes, key)) {
    setEntry(attributes, key, value);
    return count;
  }
  if (count >= MAX_ATTRIBUTES_PER_SPAN) return count;
  setEntry(attributes, key, value);
  return count + 1;
}

/** Sets a key on a plain object; `__proto__` becomes an ordinary key, not the object's prototype. */
export function setEntry(target: Record<string, AttributeValue>, key: string, value: AttributeValue): void {
  if (key === '__proto__') {
    Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  } else {
    target[key] = value;
  }
}

/** An AnyValue at `depth` (1 for an attribute's own value) must not be deeper than MAX_ANY_VALUE_DEPTH. */
export function checkDepth(depth: number, path: FieldPath): void {
  if (depth > MAX_ANY_VALUE_DEPTH) path.fail(undefined, `nests arrays and kvlists deeper than ${MAX_ANY_VALUE_DEPTH} levels`);
}

/** Called before each span is decoded, with the number decoded so far. */
export function checkSpanCount(count: number): void {
  if (count >= MAX_SPANS_PER_REQUEST) {
    throw new OtlpDecodeError(`the request holds more than ${MAX_SPANS_PER_REQUEST} spans; send smaller batches`, 'body');
  }
}
