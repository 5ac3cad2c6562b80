// What the telemetry backend keeps, whatever the wire format it came in: a span as the OTLP data model
// has it (one per ResourceSpans × ScopeSpans × Span, with the resource's service and instance folded in),
// and one RED sample per scrape interval.

/** An attribute value as OTLP's AnyValue: int64 as a number (exact below 2^53), bytes as base64, kvlist as an object. */
export type AttributeValue = string | number | boolean | null | AttributeValue[] | { [key: string]: AttributeValue };

export type Attributes = Record<string, AttributeValue>;

/** OTLP's Span.SpanKind: 0 unspecified, 1 internal, 2 server, 3 client, 4 producer, 5 consumer. */
export type SpanKindNumber = 0 | 1 | 2 | 3 | 4 | 5;

/** OTLP's Status.StatusCode: 0 unset, 1 ok, 2 error. */
export type StatusCodeNumber = 0 | 1 | 2;

export interface SpanEventRecord {
  name: string;
  /** Microseconds since the epoch (what PostgreSQL's timestamptz keeps). */
  timeUs: number;
  attributes: Attributes;
}

export interface SpanLinkRecord {
  traceId: string;
  spanId: string;
  attributes: Attributes;
}

export interface SpanRecord {
  /** 32 lowercase hex digits. */
  traceId: string;
  /** 16 lowercase hex digits. */
  spanId: string;
  /** 16 lowercase hex digits, or null for a root span (absent or all-zero parent). */
  parentSpanId: string | null;
  /** The resource's `service.name` (`unknown_service` when it has none). */
  service: string;
  /** The resource's `service.instance.id`, when set. */
  instance: string | null;
  name: string;
  kind: SpanKindNumber;
  /** Microseconds since the epoch. */
  startUs: number;
  /** End minus start, microseconds, never negative. */
  durationUs: number;
  statusCode: StatusCodeNumber;
  statusMessage: string | null;
  /** The span's own attributes (not the resource's). */
  attributes: Attributes;
  events: SpanEventRecord[];
  links: SpanLinkRecord[];
  /** The instrumentation scope's name, when set. */
  scope: string | null;
}
