// Decodes an OTLP/HTTP JSON trace export (ExportTraceServiceRequest in the OTLP JSON mapping: lowerCamelCase
// names, trace and span ids as hex, 64-bit integers as decimal strings or numbers, enums as integers) into
// SpanRecords. As in proto3's JSON mapping, an absent or null field has its default, an unknown one is
// ignored, and one of the wrong type is an error that names it.

import type { AttributeValue, Attributes, SpanEventRecord, SpanLinkRecord, SpanRecord } from '../model.ts';
import { FieldPath } from './field-path.ts';
import {
  addAttribute,
  capString,
  checkDepth,
  checkSpanCount,
  describe,
  finishLink,
  finishSpan,
  idError,
  nanosToMicros,
  newSpan,
  nullIfEmpty,
  type ResourceInfo,
  resourceInfo,
  SERVICE_INSTANCE_ID,
  SERVICE_NAME,
  setEntry,
  spanKind,
  statusCode,
} from './span-rules.ts';

type JsonObject = Record<string, unknown>;

const NONE: readonly unknown[] = [];
const HEX = /^[0-9a-fA-F]*$/;
const UNSIGNED = /^\d{1,20}$/;
const SIGNED = /^-?\d{1,19}$/;
// Standard or URL-safe alphabet, padding optional (proto3's JSON mapping accepts both).
const BASE64 = /^[A-Za-z0-9+/_-]*={0,2}$/;
const MAX_UINT64 = 2n ** 64n - 1n;
const MIN_INT64 = -(2n ** 63n);
const MAX_INT64 = 2n ** 63n - 1n;

/** Decodes a parsed JSON ExportTraceServiceRequest; throws OtlpDecodeError when it is malformed or over a limit. */
export function decodeJsonTraces(body: unknown): SpanRecord[] {
  const path = new FieldPath();
  const request = object(body, path, undefined);
  const spans: SpanRecord[] = [];
  const list = array(request.resourceSpans, path, 'resourceSpans');
  for (let i = 0; i < list.length; i++) {
    path.enter('resourceSpans', i);
    resourceSpans(list[i], path, spans);
    path.leave();
  }
  return spans;
}

function resourceSpans(value: unknown, path: FieldPath, spans: SpanRecord[]): void {
  const item = object(value, path, undefined);
  const resource = resourceOf(item.resource, path);
  const list = array(item.scopeSpans, path, 'scopeSpans');
  for (let i = 0; i < list.length; i++) {
    path.enter('scopeSpans', i);
    scopeSpans(list[i], path, resource, spans);
    path.leave();
  }
}

/** Reads only the two attributes a span keeps; the other values are not decoded. */
function resourceOf(value: unknown, path: FieldPath): ResourceInfo {
  if (value == null) return resourceInfo(undefined, undefined);
  const resource = object(value, path, 'resource');
  path.enter('resource');
  let serviceName: AttributeValue | undefined;
  let instanceId: AttributeValue | undefined;
  const list = array(resource.attributes, path, 'attributes');
  for (let i = 0; i < list.length; i++) {
    path.enter('attributes', i);
    const entry = object(list[i], path, undefined);
    const key = string(entry.key, path, 'key');
    if (key === SERVICE_NAME) serviceName = entryValue(entry, path, 1);
    else if (key === SERVICE_INSTANCE_ID) instanceId = entryValue(entry, path, 1);
    path.leave();
  }
  path.leave();
  return resourceInfo(serviceName, instanceId);
}

function scopeSpans(value: unknown, path: FieldPath, resource: ResourceInfo, spans: SpanRecord[]): void {
  const item = object(value, path, undefined);
  let scope: string | null = null;
  if (item.scope != null) {
    const scopeObject = object(item.scope, path, 'scope');
    path.enter('scope');
    scope = nullIfEmpty(string(scopeObject.name, path, 'name'));
    path.leave();
  }
  const list = array(item.spans, path, 'spans');
  for (let i = 0; i < list.length; i++) {
    checkSpanCount(spans.length);
    path.enter('spans', i);
    spans.push(span(list[i], path, resource, scope));
    path.leave();
  }
}

function span(value: unknown, path: FieldPath, resource: ResourceInfo, scope: string | null): SpanRecord {
  const item = object(value, path, undefined);
  const span = newSpan(resource, scope);
  span.traceId = hexId(item.traceId, 32, path, 'traceId');
  span.spanId = hexId(item.spanId, 16, path, 'spanId');
  span.parentSpanId = hexId(item.parentSpanId, 16, path, 'parentSpanId');
  span.name = string(item.name, path, 'name');
  if (item.kind != null) span.kind = spanKind(item.kind, path, 'kind');
  const startNs = nanos(item.startTimeUnixNano, path, 'startTimeUnixNano');
  const endNs = nanos(item.endTimeUnixNano, path, 'endTimeUnixNano');
  span.attributes = attributes(item.attributes, path, 'attributes');
  const events = array(item.events, path, 'events');
  for (let i = 0; i < events.length; i++) {
    path.enter('events', i);
    span.events.push(event(events[i], path));
    path.leave();
  }
  const links = array(item.links, path, 'links');
  for (let i = 0; i < links.length; i++) {
    path.enter('links', i);
    span.links.push(link(links[i], path));
    path.leave();
  }
  if (item.status != null) {
    const status = object(item.status, path, 'status');
    path.enter('status');
    span.statusMessage = nullIfEmpty(string(status.message, path, 'message'));
    if (status.code != null) span.statusCode = statusCode(status.code, path, 'code');
    path.leave();
  }
  return finishSpan(span, startNs, endNs, path);
}

function event(value: unknown, path: FieldPath): SpanEventRecord {
  const item = object(value, path, undefined);
  const timeNs = nanos(item.timeUnixNano, path, 'timeUnixNano');
  const name = string(item.name, path, 'name');
  return { name, timeUs: nanosToMicros(timeNs), attributes: attributes(item.attributes, path, 'attributes') };
}

function link(value: unknown, path: FieldPath): SpanLinkRecord {
  const item = object(value, path, undefined);
  return finishLink(
    {
      traceId: hexId(item.traceId, 32, path, 'traceId'),
      spanId: hexId(item.spanId, 16, path, 'spanId'),
      attributes: attributes(item.attributes, path, 'attributes'),
    },
    path,
  );
}

/** A span's, event's or link's KeyValue list (see addAttribute for repeated keys and the limit). */
function attributes(value: unknown, path: FieldPath, field: string): Attributes {
  const list = array(value, path, field);
  const result: Attributes = {};
  let count = 0;
  for (let i = 0; i < list.length; i++) {
    path.enter(field, i);
    const entry = object(list[i], path, undefined);
    const key = string(entry.key, path, 'key');
    count = addAttribute(result, count, key, entryValue(entry, path, 1));
    path.leave();
  }
  return result;
}

/** A KeyValue's value, at AnyValue depth `depth`. */
function entryValue(entry: JsonObject, path: FieldPath, depth: number): AttributeValue {
  path.enter('value');
  const value = anyValue(entry.value, path, depth);
  path.leave();
  return value;
}

function anyValue(value: unknown, path: FieldPath, depth: number): AttributeValue {
  if (value == null) return null;
  checkDepth(depth, path);
  const item = object(value, path, undefined);
  let result: AttributeValue = null;
  let found: string | undefined;
  for (const key in item) {
    const field = item[key];
    if (field == null) continue;
    let decoded: AttributeValue;
    switch (key) {
      case 'stringValue':
        decoded = string(field, path, key);
        break;
      case 'boolValue':
        if (typeof field !== 'boolean') path.fail(key, `must be a boolean; got ${describe(field)}`);
        decoded = field;
        break;
      case 'intValue':
        decoded = int64(field, path, key);
        break;
      case 'doubleValue':
        decoded = double(field, path, key);
        break;
      case 'arrayValue':
        decoded = arrayValue(field, path, depth);
        break;
      case 'kvlistValue':
        decoded = kvlistValue(field, path, depth);
        break;
      case 'bytesValue':
        decoded = bytes(field, path, key);
        break;
      default:
        continue;
    }
    if (found !== undefined) path.fail(undefined, `has both ${found} and ${key}: an AnyValue holds one value`);
    found = key;
    result = decoded;
  }
  return result;
}

function arrayValue(value: unknown, path: FieldPath, depth: number): AttributeValue[] {
  const item = object(value, path, 'arrayValue');
  path.enter('arrayValue');
  const list = array(item.values, path, 'values');
  const values: AttributeValue[] = [];
  for (let i = 0; i < list.length; i++) {
    path.enter('values', i);
    values.push(anyValue(list[i], path, depth + 1));
    path.leave();
  }
  path.leave();
  return values;
}

function kvlistValue(value: unknown, path: FieldPath, depth: number): { [key: string]: AttributeValue } {
  const item = object(value, path, 'kvlistValue');
  path.enter('kvlistValue');
  const list = array(item.values, path, 'values');
  const entries: { [key: string]: AttributeValue } = {};
  for (let i = 0; i < list.length; i++) {
    path.enter('values', i);
    const entry = object(list[i], path, undefined);
    setEntry(entries, string(entry.key, path, 'key'), entryValue(entry, path, depth + 1));
    path.leave();
  }
  path.leave();
  return entries;
}

function object(value: unknown, path: FieldPath, field: string | undefined): JsonObject {
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) return value as JsonObject;
  path.fail(field, `must be an object; got ${describe(value)}`);
}

function array(value: unknown, path: FieldPath, field: string): readonly unknown[] {
  if (value == null) return NONE;
  if (Array.isArray(value)) return value;
  path.fail(field, `must be an array; got ${describe(value)}`);
}

function string(value: unknown, path: FieldPath, field: string): string {
  if (value == null) return '';
  if (typeof value === 'string') return capString(value);
  path.fail(field, `must be a string; got ${describe(value)}`);
}

/** A trace or span id as hex, any case; returned in lowercase ('' when absent) for finishSpan to check. */
function hexId(value: unknown, digits: 32 | 16, path: FieldPath, field: string): string {
  if (value == null) return '';
  if (typeof value === 'string' && HEX.test(value)) return value.toLowerCase();
  idError(describe(value), digits, path, field);
}

/** A fixed64 timestamp: a decimal string or a number. */
function nanos(value: unknown, path: FieldPath, field: string): bigint {
  if (value == null) return 0n;
  if (typeof value === 'string' && UNSIGNED.test(value)) {
    const nanos = BigInt(value);
    if (nanos <= MAX_UINT64) return nanos;
  } else if (typeof value === 'number' && Number.isInteger(value) && value >= 0 && value < 2 ** 64) {
    return BigInt(value);
  }
  path.fail(field, `must be nanoseconds since the epoch, a uint64 as a decimal string or number; got ${describe(value)}`);
}

/** An int64: a decimal string or a number, to the nearest number (exact up to 2^53 in magnitude). */
function int64(value: unknown, path: FieldPath, field: string): number {
  let result: number | undefined;
  if (typeof value === 'number') {
    if (Number.isInteger(value) && Math.abs(value) <= 2 ** 63) result = value;
  } else if (typeof value === 'string' && SIGNED.test(value)) {
    // Below 19 characters it fits; at 19 and 20 ask BigInt. Number() rounds as the protobuf decoder does.
    if (value.length < 19 || isInt64(BigInt(value))) result = Number(value);
  }
  if (result === undefined) path.fail(field, `must be an int64, as a decimal string or number; got ${describe(value)}`);
  return result === 0 ? 0 : result; // no -0: protobuf has none
}

function isInt64(value: bigint): boolean {
  return value >= MIN_INT64 && value <= MAX_INT64;
}

/** A double: a number, or one of the strings JSON needs for the values it has no literal for. */
function double(value: unknown, path: FieldPath, field: string): number {
  if (typeof value === 'number') return value;
  if (value === 'NaN' || value === 'Infinity' || value === '-Infinity') return Number(value);
  path.fail(field, `must be a number (or "NaN", "Infinity", "-Infinity"); got ${describe(value)}`);
}

/** Bytes as base64, returned in the standard alphabet with padding, as the protobuf decoder gives them. */
function bytes(value: unknown, path: FieldPath, field: string): string {
  if (typeof value === 'string' && BASE64.test(value)) return Buffer.from(value, 'base64').toString('base64');
  path.fail(field, `must be base64; got ${describe(value)}`);
}
