// Decodes an OTLP/HTTP protobuf trace export (collector.trace.v1.ExportTraceServiceRequest) straight
// from the wire format into SpanRecords. Field numbers are opentelemetry-proto's (trace/v1/trace.proto,
// common/v1/common.proto, resource/v1/resource.proto); fields this model does not keep are skipped.

import type { AttributeValue, Attributes, SpanEventRecord, SpanLinkRecord, SpanRecord } from '../model.ts';
import { isOtlpDecodeError, OtlpDecodeError } from './errors.ts';
import { FieldPath } from './field-path.ts';
import { ProtobufReader, WireType } from './protobuf-reader.ts';
import { ProtobufValueReader } from './protobuf-values.ts';
import {
  checkSpanCount,
  finishLink,
  finishSpan,
  nanosToMicros,
  newSpan,
  nullIfEmpty,
  type ResourceInfo,
  resourceInfo,
  SERVICE_INSTANCE_ID,
  SERVICE_NAME,
  spanKind,
  statusCode,
} from './span-rules.ts';

const { VARINT, I64, LEN } = WireType;

/** Decodes a protobuf ExportTraceServiceRequest; throws OtlpDecodeError when it is malformed or over a limit. */
export function decodeProtobufTraces(body: Uint8Array): SpanRecord[] {
  return new TraceRequestDecoder(body).decode();
}

/** One request's decoding: the reader, where it is (for errors), and the spans so far. */
class TraceRequestDecoder {
  private readonly reader: ProtobufReader;
  private readonly path = new FieldPath();
  private readonly spans: SpanRecord[] = [];
  private readonly values: ProtobufValueReader;

  constructor(body: Uint8Array) {
    this.reader = new ProtobufReader(body);
    this.values = new ProtobufValueReader(this.reader, this.path);
  }

  decode(): SpanRecord[] {
    const r = this.reader;
    try {
      let index = 0;
      while (r.more()) {
        const tag = r.tag();
        if (tag >>> 3 === 1) {
          this.values.expect(tag, LEN, 'resourceSpans');
          this.path.enter('resourceSpans', index++);
          this.resourceSpans();
          this.path.leave();
        } else {
          r.skip(tag & 7);
        }
      }
    } catch (err) {
      // The reader knows the byte offset, not the field: add where the decoder was.
      if (isOtlpDecodeError(err) && err.path === undefined) {
        const where = this.path.toString();
        throw new OtlpDecodeError(`${where}: ${err.message}`, where, { cause: err });
      }
      throw err;
    }
    return this.spans;
  }

  private resourceSpans(): void {
    // The spans need the resource, which may come after them on the wire.
    this.headerThenItems(
      { name: 'resource', read: () => this.resource(), absent: resourceInfo(undefined, undefined) },
      { name: 'scopeSpans', read: (resource) => this.scopeSpans(resource) },
    );
  }

  /**
   * A message whose field 2 items need its field 1 (ResourceSpans: resource, scopeSpans; ScopeSpans: scope,
   * spans), which may come anywhere on the wire: a first pass reads field 1, a second each item of field 2.
   */
  private headerThenItems<H>(
    header: { name: string; read: () => H; absent: H },
    items: { name: string; read: (header: H) => void; before?: () => void },
  ): void {
    const r = this.reader;
    const outer = r.enter();
    const start = r.pos;
    let found = header.absent;
    while (r.more()) {
      const tag = r.tag();
      if (tag >>> 3 === 1) {
        this.values.expect(tag, LEN, header.name);
        this.path.enter(header.name);
        found = header.read();
        this.path.leave();
      } else {
        r.skip(tag & 7);
      }
    }
    r.pos = start;
    let index = 0;
    while (r.more()) {
      const tag = r.tag();
      if (tag >>> 3 === 2) {
        this.values.expect(tag, LEN, items.name);
        items.before?.();
        this.path.enter(items.name, index++);
        items.read(found);
        this.path.leave();
      } else {
        r.skip(tag & 7);
      }
    }
    r.leave(outer);
  }

  /** Reads only the two attributes a span keeps; the other values are skipped, not decoded. */
  private resource(): ResourceInfo {
    const r = this.reader;
    const outer = r.enter();
    let serviceName: AttributeValue | undefined;
    let instanceId: AttributeValue | undefined;
    let index = 0;
    while (r.more()) {
      const tag = r.tag();
      if (tag >>> 3 === 1) {
        this.values.expect(tag, LEN, 'attributes');
        this.path.enter('attributes', index++);
        const key = this.values.keyValue();
        if (key === SERVICE_NAME) serviceName = this.values.value(1);
        else if (key === SERVICE_INSTANCE_ID) instanceId = this.values.value(1);
        this.path.leave();
      } else {
        r.skip(tag & 7);
      }
    }
    r.leave(outer);
    return resourceInfo(serviceName, instanceId);
  }

  private scopeSpans(resource: ResourceInfo): void {
    // As with the resource: the scope may come after the spans.
    this.headerThenItems<string | null>(
      { name: 'scope', read: () => this.scopeName(), absent: null },
      {
        name: 'spans',
        before: () => checkSpanCount(this.spans.length),
        read: (scope) => this.spans.push(this.span(resource, scope)),
      },
    );
  }

  private scopeName(): string | null {
    const r = this.reader;
    const outer = r.enter();
    let name = '';
    while (r.more()) {
      const tag = r.tag();
      if (tag >>> 3 === 1) {
        this.values.expect(tag, LEN, 'name');
        name = this.values.string();
      } else {
        r.skip(tag & 7);
      }
    }
    r.leave(outer);
    return nullIfEmpty(name);
  }

  private span(resource: ResourceInfo, scope: string | null): SpanRecord {
    const r = this.reader;
    const outer = r.enter();
    const span = newSpan(resource, scope);
    let startNs = 0n;
    let endNs = 0n;
    let attributeCount = 0;
    let attributeIndex = 0;
    while (r.more()) {
      const tag = r.tag();
      switch (tag >>> 3) {
        case 1:
          span.traceId = this.values.id(tag, 'traceId', 32);
          break;
        case 2:
          span.spanId = this.values.id(tag, 'spanId', 16);
          break;
        case 4:
          span.parentSpanId = this.values.id(tag, 'parentSpanId', 16);
          break;
        case 5:
          this.values.expect(tag, LEN, 'name');
          span.name = this.values.string();
          break;
        case 6:
          this.values.expect(tag, VARINT, 'kind');
          span.kind = spanKind(r.int32(), this.path, 'kind');
          break;
        case 7:
          this.values.expect(tag, I64, 'startTimeUnixNano');
          startNs = r.fixed64();
          break;
        case 8:
          this.values.expect(tag, I64, 'endTimeUnixNano');
          endNs = r.fixed64();
          break;
        case 9:
          this.values.expect(tag, LEN, 'attributes');
          attributeCount = this.values.attribute(span.attributes, attributeCount, attributeIndex++);
          break;
        case 11:
          this.values.expect(tag, LEN, 'events');
          this.path.enter('events', span.events.length);
          span.events.push(this.event());
          this.path.leave();
          break;
        case 13:
          this.values.expect(tag, LEN, 'links');
          this.path.enter('links', span.links.length);
          span.links.push(this.link());
          this.path.leave();
          break;
        case 15:
          this.values.expect(tag, LEN, 'status');
          this.path.enter('status');
          this.status(span);
          this.path.leave();
          break;
        default:
          r.skip(tag & 7);
      }
    }
    r.leave(outer);
    return finishSpan(span, startNs, endNs, this.path);
  }

  private event(): SpanEventRecord {
    const r = this.reader;
    const outer = r.enter();
    let timeNs = 0n;
    let name = '';
    const attributes: Attributes = {};
    let attributeCount = 0;
    let attributeIndex = 0;
    while (r.more()) {
      const tag = r.tag();
      switch (tag >>> 3) {
        case 1:
          this.values.expect(tag, I64, 'timeUnixNano');
          timeNs = r.fixed64();
          break;
        case 2:
          this.values.expect(tag, LEN, 'name');
          name = this.values.string();
          break;
        case 3:
          this.values.expect(tag, LEN, 'attributes');
          attributeCount = this.values.attribute(attributes, attributeCount, attributeIndex++);
          break;
        default:
          r.skip(tag & 7);
      }
    }
    r.leave(outer);
    return { name, timeUs: nanosToMicros(timeNs), attributes };
  }

  private link(): SpanLinkRecord {
    const r = this.reader;
    const outer = r.enter();
    const link: SpanLinkRecord = { traceId: '', spanId: '', attributes: {} };
    let attributeCount = 0;
    let attributeIndex = 0;
    while (r.more()) {
      const tag = r.tag();
      switch (tag >>> 3) {
        case 1:
          link.traceId = this.values.id(tag, 'traceId', 32);
          break;
        case 2:
          link.spanId = this.values.id(tag, 'spanId', 16);
          break;
        case 4:
          this.values.expect(tag, LEN, 'attributes');
          attributeCount = this.values.attribute(link.attributes, attributeCount, attributeIndex++);
          break;
        default:
          r.skip(tag & 7);
      }
    }
    r.leave(outer);
    return finishLink(link, this.path);
  }

  private status(span: SpanRecord): void {
    const r = this.reader;
    const outer = r.enter();
    while (r.more()) {
      const tag = r.tag();
      switch (tag >>> 3) {
        case 2:
          this.values.expect(tag, LEN, 'message');
          span.statusMessage = nullIfEmpty(this.values.string());
          break;
        case 3:
          this.values.expect(tag, VARINT, 'code');
          span.statusCode = statusCode(r.int32(), this.path, 'code');
          break;
        default:
          r.skip(tag & 7);
      }
    }
    r.leave(outer);
  }
}
